/**
 * Stdio servers an agent spawns: the SDK's StdioClientTransport (v1 `client/stdio.js`, v2 `@modelcontextprotocol/
 * client/stdio`) gives the child process only a short list of variables (HOME, LOGNAME, PATH, SHELL, TERM, USER on
 * POSIX) unless the app passes `env`, so neither NODE_OPTIONS nor any OTEL_* variable reaches it. With the switch on
 * (OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS), patch.ts hands the transport the environment built here:
 * - what the child would get anyway: the app's `env` (which wins), else the SDK's default list;
 * - NODE_OPTIONS: the app's, plus `--import <this package's register.mjs>`, unless it is there already;
 * - the parent's OTEL_* variables, but not its service name (a server is not the agent) and not the exporter headers
 *   (they may carry a vendor's API key), which pass only under a second switch;
 * - OTEL_SERVICE_NAME from the server's command, unless the app's `env` names the service.
 * Pure functions, but for `registerFileUrl`, which looks for register.mjs next to the built package.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { processValues } from './state';

/** The exporter headers: withheld from spawned servers unless asked for. */
export const EXPORTER_HEADER_VARIABLES: readonly string[] = [
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
  'OTEL_EXPORTER_OTLP_LOGS_HEADERS',
];

/** The SDK's own list (`DEFAULT_INHERITED_ENV_VARS`), for a copy of the SDK that does not export its function. */
const DEFAULT_INHERITED =
  process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'USERNAME',
        'USERPROFILE',
        'PROGRAMFILES',
      ]
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

/** The SDK's `getDefaultEnvironment()`, as it is written in every version from 1.0.1 to 2.4.0. */
export function defaultEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of DEFAULT_INHERITED) {
    const value = env[key];
    if (value !== undefined && !value.startsWith('()')) out[key] = value;
  }
  return out;
}

export interface StdioServerInput {
  /** `StdioServerParameters.command` and `.args`. */
  command: string;
  args?: readonly unknown[];
  /** `StdioServerParameters.env`, what the app gave (undefined: none). */
  env?: Record<string, string> | undefined;
}

export interface StdioServerOptions {
  /** The parent's environment (process.env). */
  parentEnv: NodeJS.ProcessEnv;
  /** What the SDK gives a child when the app passes no env: its `getDefaultEnvironment()`. */
  defaultEnv: () => Record<string, string>;
  /** The file URL of register.mjs; undefined: NODE_OPTIONS is left as the app gave it. */
  registerUrl: string | undefined;
  /** Pass OTEL_EXPORTER_OTLP_{,TRACES_,METRICS_,LOGS_}HEADERS too. */
  exporterHeaders: boolean;
}

/**
 * The `env` to hand the SDK for one server. Both ways the SDK builds the child's environment give the same result
 * with it: `env ?? getDefaultEnvironment()` (before 1.13) takes it whole, `{...getDefaultEnvironment(), ...env}`
 * (1.13 and later, v2) adds the default list under it, which it already holds when the app gave no env.
 */
export function stdioServerEnv(server: StdioServerInput, options: StdioServerOptions): Record<string, string> {
  const appEnv = server.env;
  const has = (key: string) => appEnv !== undefined && Object.hasOwn(appEnv, key);
  const out: Record<string, string> = { ...(appEnv ?? options.defaultEnv()) };
  for (const [key, value] of Object.entries(options.parentEnv)) {
    if (!key.startsWith('OTEL_') || value === undefined || has(key)) continue;
    if (key === 'OTEL_SERVICE_NAME') continue;
    if (!options.exporterHeaders && EXPORTER_HEADER_VARIABLES.includes(key)) continue;
    if (key === 'OTEL_RESOURCE_ATTRIBUTES') {
      const attributes = withoutServiceName(value);
      if (attributes !== '') out[key] = attributes;
      continue;
    }
    out[key] = value;
  }
  const named = has('OTEL_SERVICE_NAME') || namesService(appEnv?.OTEL_RESOURCE_ATTRIBUTES);
  if (!named) {
    const name = serviceNameOf(server.command, server.args ?? []);
    if (name !== '') out.OTEL_SERVICE_NAME = name;
  }
  if (options.registerUrl !== undefined) out.NODE_OPTIONS = withPreload(appEnv?.NODE_OPTIONS, options.registerUrl);
  return out;
}

/** `key=value,...` entries of OTEL_RESOURCE_ATTRIBUTES, less `service.name` (the agent's). */
function withoutServiceName(attributes: string): string {
  return attributes
    .split(',')
    .filter((entry) => entry.split('=')[0]?.trim() !== 'service.name')
    .join(',');
}

function namesService(attributes: string | undefined): boolean {
  return (attributes ?? '').split(',').some((entry) => entry.split('=')[0]?.trim() === 'service.name');
}

/**
 * NODE_OPTIONS with `--import <registerUrl>` at the end, unless it imports the preload already (that URL, its path,
 * or the package's `@x/mcp-otel/register`).
 */
export function withPreload(nodeOptions: string | undefined, registerUrl: string): string {
  const current = (nodeOptions ?? '').trim();
  const same = new Set([registerUrl, fileUrlPath(registerUrl), '@x/mcp-otel/register', '@x/mcp-otel/register.mjs']);
  const tokens = current.split(/\s+/).map(unquote);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const value = token === '--import' ? tokens[i + 1] : token.startsWith('--import=') ? token.slice(9) : undefined;
    if (value !== undefined && same.has(unquote(value))) return current;
  }
  // The URL is percent-encoded: no spaces or quotes, nothing to quote.
  return current === '' ? `--import ${registerUrl}` : `${current} --import ${registerUrl}`;
}

const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');

function fileUrlPath(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
}

const registerFile = processValues('stdio-servers.registerUrl', (): { url?: string | null } => ({}));

/**
 * The file URL of this package's register.mjs, found from this module's place in the package (dist/instrumentation/),
 * as the mcp-otel wrapper finds it from its own; undefined when it is not there (the module was bundled elsewhere).
 */
export function registerFileUrl(): string | undefined {
  if (registerFile.url === undefined) {
    const file = join(__dirname, '..', '..', 'register.mjs');
    registerFile.url = existsSync(file) ? pathToFileURL(file).href : null;
  }
  return registerFile.url ?? undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The service name of a spawned server, from its command.

/** Programs that run a script given as their first argument that is not an option. */
const SCRIPT_RUNNERS = new Set(['node', 'nodejs', 'tsx', 'ts-node']);
/** Node options whose value is the next argument. */
const NODE_VALUE_OPTIONS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--env-file',
  '--env-file-if-exists',
  '--title',
  '--input-type',
  '--inspect-port',
  '--debug-port',
  '--watch-path',
  '--tsconfig',
]);
/** Node options after which there is no script: the code comes from the command line or stdin. */
const NODE_NO_SCRIPT = new Set(['-e', '--eval', '-p', '--print', '-', '--test', '-i', '--interactive']);
/** npx (npm exec) options whose value is the next argument. */
const NPX_VALUE_OPTIONS = new Set([
  '-c',
  '--call',
  '--registry',
  '--cache',
  '--userconfig',
  '--prefix',
  '-w',
  '--workspace',
  '--loglevel',
]);
/** File names that say nothing about the server: its directory (or package) names it instead. */
const GENERIC_FILES = new Set(['index', 'main']);
/** Directories of a build or source layout, skipped on the way up from a generic file name. */
const LAYOUT_DIRS = new Set(['dist', 'build', 'lib', 'out', 'src', 'bin', 'esm', 'cjs', 'cli']);
const SCRIPT_EXTENSION = /\.(?:[cm]?[jt]sx?)$/i;

/**
 * `npx [-y] @scope/pkg@1.2 ...` and `npm exec`: the package name (`@scope/pkg`); `node [options] path/server.mjs`
 * (and tsx): the script's name (`server`), or for `index`/`main` under `dist`, `build`, `src`, ... the directory above
 * them, or the package's name when the script is in node_modules; anything else: the command's base name.
 */
export function serviceNameOf(command: string, args: readonly unknown[] = []): string {
  const argv = args.filter((a): a is string => typeof a === 'string');
  const program = baseName(command)
    .replace(/\.(?:exe|cmd|bat|ps1)$/i, '')
    .toLowerCase();
  if (program === 'npx') return npxPackage(argv) ?? program;
  if (program === 'npm' && (argv[0] === 'exec' || argv[0] === 'x')) return npxPackage(argv.slice(1)) ?? program;
  if (SCRIPT_RUNNERS.has(program)) {
    const script = nodeScript(argv);
    return script === undefined ? program : scriptName(script);
  }
  if (SCRIPT_EXTENSION.test(command)) return scriptName(command);
  return baseName(command).replace(/\.(?:exe|cmd|bat|ps1)$/i, '');
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

function nodeScript(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return args[i + 1];
    if (NODE_NO_SCRIPT.has(arg) || /^--(?:eval|print)=/.test(arg)) return undefined;
    if (NODE_VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg;
  }
  return undefined;
}

function npxPackage(args: readonly string[]): string | undefined {
  let packageOption: string | undefined;
  let spec: string | undefined;
  for (let i = 0; i < args.length && spec === undefined; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      spec = args[i + 1];
      break;
    }
    if (arg === '-p' || arg === '--package') {
      packageOption ??= args[i + 1];
      i++;
    } else if (arg.startsWith('--package=')) packageOption ??= arg.slice('--package='.length);
    else if (NPX_VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) spec = arg;
  }
  const chosen = packageOption ?? spec;
  return chosen === undefined || chosen === '' ? undefined : packageName(chosen);
}

/** `@scope/pkg@1.2` → `@scope/pkg`, `pkg@latest` → `pkg`, `github:owner/repo` or a path or URL → its last part. */
export function packageName(spec: string): string {
  const scoped = /^(@[^/@\s]+\/[^/@\s]+)/.exec(spec);
  if (scoped?.[1]) return scoped[1];
  if (/[:/\\]/.test(spec)) return baseName(spec.replace(/#.*$/, '')).replace(/\.(?:git|tgz)$/, '') || spec;
  return spec.split('@')[0] || spec;
}

/** The name a script path gives a server (see serviceNameOf). */
export function scriptName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  const modules = parts.lastIndexOf('node_modules');
  if (modules >= 0 && parts.length > modules + 2) {
    const first = parts[modules + 1] ?? '';
    const name = first.startsWith('@') ? `${first}/${parts[modules + 2] ?? ''}` : first;
    if (name !== '' && (!first.startsWith('@') || parts.length > modules + 3)) return name;
  }
  const file = (parts.pop() ?? path).replace(SCRIPT_EXTENSION, '');
  if (!GENERIC_FILES.has(file.toLowerCase())) return file;
  while (parts.length > 0) {
    const dir = parts.pop() ?? '';
    if (dir === '..' || dir.endsWith(':') || LAYOUT_DIRS.has(dir.toLowerCase())) continue;
    return dir;
  }
  return file;
}
