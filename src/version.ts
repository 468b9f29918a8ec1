import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version, read from the package.json next to dist/ (one source of truth). */
export const VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;
export const PACKAGE_NAME = '@x/mcp-otel';
