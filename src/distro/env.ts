/**
 * Typed readers of environment variables, with one warning format: a value that cannot be used is reported through
 * `bad(name, message)` (the message says what was wrong and what is used instead) and the default applies. Values are
 * trimmed; an empty variable counts as unset. config.ts is their only user: it reads the whole environment once.
 */
import { choices } from '../instrumentation/settings';
import type { BadSetting } from '../instrumentation/settings';

export { choices };

/** Receives one message per bad variable (the MCP settings' readers take the same: settings.ts). */
export type BadVariable = BadSetting;

export function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A comma-separated list, trimmed, without empty items or repeats. */
export function list(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return [...new Set(items)];
}

/** Reads a positive integer; a bad value is reported and undefined is returned. */
export function positiveInteger(env: NodeJS.ProcessEnv, name: string, bad: BadVariable): number | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    bad(name, `"${value}" is not a positive whole number; using the default`);
    return undefined;
  }
  return n;
}

/**
 * One of `allowed`, from the first of `names` that is set (a signal's own variable, then the general one); `what`
 * names the setting in the warning. `normalize` maps the raw value first (lower-casing, for instance).
 */
export function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  names: readonly string[],
  allowed: readonly T[],
  fallback: T,
  what: string,
  bad: BadVariable,
  normalize: (value: string) => string = (value) => value,
): T {
  for (const name of names) {
    const raw = text(env, name);
    if (raw === undefined) continue;
    const value = normalize(raw);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    bad(name, `unknown ${what} "${raw}"; using ${fallback} (expected ${choices(allowed)})`);
    return fallback;
  }
  return fallback;
}

/** The names of a list variable that are in `known`; the others are reported (unless another warning covers them). */
export function knownNames(
  env: NodeJS.ProcessEnv,
  name: string,
  known: readonly string[],
  bad: BadVariable,
  reportedElsewhere: readonly string[] = [],
): string[] | undefined {
  const values = list(env, name);
  if (values === undefined) return undefined;
  return values.filter((v) => {
    if (known.includes(v)) return true;
    if (!reportedElsewhere.includes(v)) bad(name, `unknown name "${v}" ignored`);
    return false;
  });
}

/**
 * Parses the W3C-baggage-like `key=value,key2=value2` lists of OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES
 * (values percent-encoded). A malformed entry is reported and left out; the others are kept. Values are never echoed:
 * headers may hold secrets.
 */
export function parseKeyValueList(
  value: string | undefined,
  name: string,
  bad: BadVariable,
  isValidKey: (key: string) => boolean = () => true,
): Record<string, string> {
  const result: Record<string, string> = {};
  value?.split(',').forEach((entry, index) => {
    if (entry.trim() === '') return;
    const eq = entry.indexOf('=');
    const key = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (key === '' || !isValidKey(key)) {
      bad(name, `entry ${index + 1} is malformed and ignored (expected key=value pairs separated by commas)`);
      return;
    }
    try {
      result[key] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      bad(name, `the value of entry ${index + 1} ("${key}") is not valid percent-encoding and is ignored`);
    }
  });
  return result;
}
