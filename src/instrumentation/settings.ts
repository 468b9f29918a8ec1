/**
 * The settings of the MCP instrumentation, one row each: the option of McpInstrumentationConfig, the environment
 * variable that gives it when the option is not set, the key under `instrumentation/development.js.mcp` of a
 * configuration file, its type (which says the accepted values and how a bad one is reported) and its default.
 *
 * Three readers use this one table: `instrument()` (McpInstrumentation, for a user's own NodeSDK: the options, then
 * the environment), the preload's environment reader (distro/config.ts) and its configuration file reader
 * (distro/config-file.ts). A bad value is reported once as `where: message` (`where` is the variable, or the file's
 * key) and the default is used: the app runs on. A new setting is one row here, its option in types.ts, and its use.
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { CAPTURE_MODES, captureModeOf, DEFAULT_CONTENT_MAX_LENGTH } from './content';
import { SELF_TRACED_MODES } from './self-traced';
import type { McpInstrumentationConfig } from './types';

/** Receives one message per bad value: `where` is the variable's name, or the key of the file. */
export type BadSetting = (where: string, message: string) => void;

/** `a, b or c`. */
export function choices(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** How the values of one type are read, from a variable (text) and from a configuration file (YAML values). */
export interface SettingType<T> {
  /**
   * The file reader reads its settings grouped by kind, in this order: `list`, `switch`, `capture`, `count`, `mode`
   * (the order of its warnings since the file was first read; tests pin it). The environment is read in row order.
   */
  kind: 'list' | 'switch' | 'capture' | 'count' | 'mode' | 'text' | 'limit' | 'code';
  /** The accepted values, in words (for the contributors' table). */
  accepts: string;
  /** `raw` is the variable as it is (undefined when unset); undefined when no variable can give it. */
  fromText?: (raw: string | undefined, fallback: T, bad: (message: string) => void) => T;
  /** `value` is what the file says (null or undefined when it says nothing); undefined when no file key gives it. */
  fromFile?: (value: unknown, fallback: T, bad: (message: string) => void) => T;
}

/** One setting: its variable, its configuration file key, its type and its default. */
export interface SettingRow<T> {
  /** The environment variables that give it, the first that is set wins. */
  env: readonly string[];
  /** The key under `instrumentation/development.js.mcp`, if a configuration file can give it there. */
  file: string | undefined;
  type: SettingType<T>;
  default: T;
  /**
   * False for the settings the preload does not read as MCP settings: the attribute length limit comes from its span
   * limits, a redaction hook only from code.
   */
  inPlan: boolean;
}

const trimmed = (raw: string | undefined): string | undefined => {
  const value = raw?.trim();
  return value ? value : undefined;
};

/** A comma-separated list of names, trimmed, empty items left out; a file gives a YAML list of strings. */
function listOf(what: string, none: string): SettingType<string[] | undefined> {
  return {
    kind: 'list',
    accepts: `a comma-separated list of ${what} (a list in a file)`,
    fromText: (raw) =>
      (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    fromFile: (value, fallback, bad) => {
      if (Array.isArray(value) && value.every((m) => typeof m === 'string')) return value as string[];
      if (value !== undefined && value !== null) bad(`not a list of ${what}; ${none}`);
      return fallback === undefined ? fallback : [...fallback];
    },
  };
}

/** `true` or `false`, in any case; a file gives a boolean. */
const SWITCH: SettingType<boolean | undefined> = {
  kind: 'switch',
  accepts: 'true or false, in any case',
  fromText: (raw, fallback, bad) => {
    const value = trimmed(raw);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    bad(`unknown value "${value}"; using ${String(fallback)} (expected true or false)`);
    return fallback;
  },
  fromFile: (value, fallback, bad) => {
    if (typeof value === 'boolean') return value;
    if (value !== undefined && value !== null) bad(`not true or false; using ${String(fallback)}`);
    return fallback;
  },
};

/**
 * A switch whose variable has never warned about a bad value (OTEL_INSTRUMENTATION_MCP_METRICS_RESOURCE_URI): it
 * keeps the default silently, and issue 25 changes no behaviour. In a file it is a switch like the others.
 */
const QUIET_SWITCH: SettingType<boolean | undefined> = {
  ...SWITCH,
  accepts: 'true or false, in any case (the variable: anything else is the default, without a warning)',
  fromText: (raw, fallback) => SWITCH.fromText!(raw, fallback, () => {}),
};

/** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, as upstream GenAI instrumentations read it (content.ts). */
const CAPTURE: SettingType<boolean | undefined> = {
  kind: 'capture',
  accepts: `${choices(Object.keys(CAPTURE_MODES))}, in any case; a boolean too in a file`,
  fromText: (raw, fallback, bad) => {
    const value = trimmed(raw);
    if (value === undefined) return fallback;
    const mode = captureModeOf(value);
    if (mode !== undefined) return mode;
    bad(`unknown value "${value}"; no content is recorded (expected ${choices(Object.keys(CAPTURE_MODES))})`);
    return false;
  },
  fromFile: (value, fallback, bad) => {
    if (typeof value === 'boolean') return value;
    if (value === undefined || value === null) return fallback;
    const mode = typeof value === 'string' ? captureModeOf(value) : undefined;
    if (mode !== undefined) return mode;
    bad(`not true, false or one of ${Object.keys(CAPTURE_MODES).slice(2).join(', ')}; no content is recorded`);
    return false;
  },
};

/** A positive whole number. */
const COUNT: SettingType<number | undefined> = {
  kind: 'count',
  accepts: 'a positive whole number',
  fromText: (raw, fallback, bad) => {
    const value = trimmed(raw);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (Number.isInteger(n) && n > 0) return n;
    bad(`"${value}" is not a positive whole number; using the default`);
    return fallback;
  },
  fromFile: (value, fallback, bad) => {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
    if (value !== undefined && value !== null) bad(`not a positive whole number; using ${String(fallback)}`);
    return fallback;
  },
};

/** One of `modes`: any case and spaces around in a variable, exactly in a file. */
function modeOf<T extends string>(modes: readonly T[]): SettingType<T | undefined> {
  return {
    kind: 'mode',
    accepts: `${choices(modes)} (any case in the variable)`,
    fromText: (raw, fallback, bad) => {
      const value = trimmed(raw);
      if (value === undefined) return fallback;
      const lower = value.toLowerCase();
      if ((modes as readonly string[]).includes(lower)) return lower as T;
      bad(`unknown mode "${value}"; using ${String(fallback)} (expected ${choices(modes)})`);
      return fallback;
    },
    fromFile: (value, fallback, bad) => {
      if ((modes as readonly unknown[]).includes(value)) return value as T;
      if (value !== undefined && value !== null) bad(`not one of ${modes.join(', ')}; using ${String(fallback)}`);
      return fallback;
    },
  };
}

/** The variable as it is, for a parser that reads its own syntax (rpc-semconv.ts); never warned about. */
const TEXT: SettingType<string | undefined> = {
  kind: 'text',
  accepts: "OTEL_SEMCONV_STABILITY_OPT_IN's syntax: a comma-separated list; rpc, rpc/dup",
  fromText: (raw, fallback) => raw ?? fallback,
};

/**
 * The SDK's own attribute value length limit: a positive whole number, else none. Never warned about here: the SDK
 * reads the same variables (and the preload passes the limit it read itself).
 */
const LIMIT: SettingType<number | undefined> = {
  kind: 'limit',
  accepts: 'a positive whole number, else no limit (Infinity from code)',
  fromText: (raw) => {
    const n = Number(trimmed(raw));
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  },
};

/** Given in code only. */
function codeOnly<T>(what: string): SettingType<T | undefined> {
  return { kind: 'code', accepts: what };
}

type Options = Omit<McpInstrumentationConfig, keyof InstrumentationConfig>;
/** The options of McpInstrumentationConfig that are settings (the base class's own are not). */
export type SettingOption = keyof Options;
/** Every setting resolved: an option not given has its variable's value, or the default. */
export type ResolvedSettings = Required<Omit<Options, WithoutDefault>> & Pick<Options, WithoutDefault>;
/**
 * The settings whose default is "none" (every other row has a default: settings.test.mjs checks it); they are also
 * those the preload does not plan (their rows' inPlan).
 */
type WithoutDefault = 'attributeValueLengthLimit' | 'redactContent';
/** The settings the preload reads as MCP settings, from the environment or a file: its plan's `mcp`. */
export type PlannedSettings = Pick<Options, Exclude<SettingOption, WithoutDefault>>;
/** The value of each setting, undefined included (the type of its row). */
type Values = { [K in SettingOption]-?: Options[K] | undefined };
type Table = { readonly [K in keyof Values]: SettingRow<Values[K]> };

/** The table. Its order is the order the environment is read in, hence of the preload's warnings (tests pin it). */
export const SETTINGS: Table = {
  excludedMethods: {
    env: ['OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS'],
    file: 'excluded_methods',
    type: listOf('method names', 'no method is excluded'),
    default: [],
    inPlan: true,
  },
  metricsResourceUri: {
    env: ['OTEL_INSTRUMENTATION_MCP_METRICS_RESOURCE_URI'],
    file: 'metrics_resource_uri',
    type: QUIET_SWITCH,
    default: false,
    inPlan: true,
  },
  selfTracedServers: {
    env: ['OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS'],
    file: 'self_traced_servers',
    type: modeOf(SELF_TRACED_MODES),
    default: 'merge',
    inPlan: true,
  },
  captureEndUser: {
    env: ['OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER'],
    file: 'capture_enduser',
    type: SWITCH,
    default: true,
    inPlan: true,
  },
  capturePeerIdentity: {
    env: ['OTEL_INSTRUMENTATION_MCP_CAPTURE_PEER_IDENTITY'],
    file: 'capture_peer_identity',
    type: SWITCH,
    default: true,
    inPlan: true,
  },
  enrichToolSpans: {
    env: ['OTEL_INSTRUMENTATION_MCP_ENRICH_TOOL_SPANS'],
    file: 'enrich_tool_spans',
    type: SWITCH,
    default: true,
    inPlan: true,
  },
  traceStdioServers: {
    env: ['OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS'],
    file: 'trace_stdio_servers',
    type: SWITCH,
    default: false,
    inPlan: true,
  },
  stdioServersExporterHeaders: {
    env: ['OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS'],
    file: 'stdio_servers_exporter_headers',
    type: SWITCH,
    default: false,
    inPlan: true,
  },
  captureMessageContent: {
    env: ['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'],
    file: 'capture_message_content',
    type: CAPTURE,
    default: false,
    inPlan: true,
  },
  contentMaxLength: {
    env: ['OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH'],
    file: 'content_max_length',
    type: COUNT,
    default: DEFAULT_CONTENT_MAX_LENGTH,
    inPlan: true,
  },
  captureContentSizes: {
    env: ['OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES'],
    file: 'capture_content_sizes',
    type: SWITCH,
    default: false,
    inPlan: true,
  },
  // A file gives it in `instrumentation/development.general`, shared with other instrumentations (config-file.ts).
  semconvStabilityOptIn: {
    env: ['OTEL_SEMCONV_STABILITY_OPT_IN'],
    file: undefined,
    type: TEXT,
    default: '',
    inPlan: true,
  },
  attributeValueLengthLimit: {
    env: ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
    file: undefined,
    type: LIMIT,
    default: undefined,
    inPlan: false,
  },
  redactContent: {
    env: [],
    file: undefined,
    type: codeOnly('a function (value, info) => what to record'),
    default: undefined,
    inPlan: false,
  },
};

/** The options, in the table's order. */
export const SETTING_OPTIONS = Object.keys(SETTINGS) as SettingOption[];

/** A setting from the environment alone: its first variable that is set (the last one as it is), or the default. */
function fromEnv<K extends SettingOption>(option: K, env: NodeJS.ProcessEnv, bad: BadSetting): Values[K] {
  const row: SettingRow<Values[K]> = SETTINGS[option];
  const { fromText } = row.type;
  if (fromText === undefined) return row.default;
  const names = row.env;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const raw = env[name];
    // An earlier variable that is empty gives way to the next one.
    if (i < names.length - 1 && trimmed(raw) === undefined) continue;
    return fromText(raw, row.default, (message) => bad(name, message));
  }
  return row.default;
}

/** One setting: the option when it is given, else its variable, else the default. */
export function readSetting<K extends SettingOption>(
  option: K,
  config: McpInstrumentationConfig,
  env: NodeJS.ProcessEnv,
  bad: BadSetting,
): ResolvedSettings[K] {
  const given: Partial<Values> = config;
  // Every row but those of WithoutDefault has a default (settings.test.mjs): the value is then never undefined.
  return (given[option] ?? fromEnv(option, env, bad)) as ResolvedSettings[K];
}

/** Every setting, in the table's order (instrument(): what a user's own NodeSDK setup does not give in code). */
export function readSettings(
  config: McpInstrumentationConfig,
  env: NodeJS.ProcessEnv,
  bad: BadSetting,
): ResolvedSettings {
  const settings: Partial<Options> = {};
  for (const option of SETTING_OPTIONS) assign(settings, option, readSetting(option, config, env, bad));
  return settings as ResolvedSettings;
}

/** The settings the preload reads as MCP settings (inPlan), from the environment alone, in the table's order. */
export function settingsFromEnv(env: NodeJS.ProcessEnv, bad: BadSetting): PlannedSettings {
  const settings: Partial<Options> = {};
  for (const option of SETTING_OPTIONS) {
    if (SETTINGS[option].inPlan) assign(settings, option, fromEnv(option, env, bad));
  }
  return settings;
}

const FILE_ORDER: readonly SettingType<unknown>['kind'][] = ['list', 'switch', 'capture', 'count', 'mode'];

/** The options a configuration file gives under `instrumentation/development.js.mcp`, in the order it reads them. */
export const FILE_OPTIONS: readonly SettingOption[] = SETTING_OPTIONS.filter(
  (option) => SETTINGS[option].file !== undefined,
).sort((a, b) => FILE_ORDER.indexOf(SETTINGS[a].type.kind) - FILE_ORDER.indexOf(SETTINGS[b].type.kind));

/** The keys a configuration file may have under `instrumentation/development.js.mcp`, in the table's order. */
export const FILE_KEYS: readonly string[] = SETTING_OPTIONS.flatMap((option) => SETTINGS[option].file ?? []);

/**
 * The settings of a configuration file's `instrumentation/development.js.mcp` section (`bad` gets the key), with the
 * defaults of those it does not give; the file is the whole configuration, so the environment is not read.
 */
export function settingsFromFile(
  section: Record<string, unknown> | null | undefined,
  bad: BadSetting,
): Partial<Options> {
  const settings: Partial<Options> = {};
  for (const option of FILE_OPTIONS) assign(settings, option, fromFile(option, section, bad));
  return settings;
}

function fromFile<K extends SettingOption>(
  option: K,
  section: Record<string, unknown> | null | undefined,
  bad: BadSetting,
): Values[K] {
  const row: SettingRow<Values[K]> = SETTINGS[option];
  const { fromFile: read } = row.type;
  if (row.file === undefined || read === undefined) return row.default;
  const key = row.file;
  return read(section?.[key], row.default, (message) => bad(key, message));
}

function assign<K extends SettingOption>(settings: Partial<Options>, option: K, value: Values[K]): void {
  settings[option] = value;
}
