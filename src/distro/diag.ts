import { inspect } from 'node:util';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { readLogLevel } from './config';
import type { LogLevelName } from './config';

export const LOG_PREFIX = '@x/mcp-otel';
/** How @opentelemetry/api refuses a second registration of one of its globals (api/src/internal/global-utils.ts). */
const DUPLICATE_REGISTRATION = /Attempted duplicate registration of API: \w+/;

const LEVELS: Record<LogLevelName, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** Writes one diagnostic line to stderr. Never to stdout: a stdio MCP server speaks JSON-RPC there. */
export function writeDiagLine(level: string, message: string, args: unknown[] = []): void {
  const parts = [message, ...args.map(formatArg)];
  // One line per record: a multi-line stack or object would be split by log collectors.
  const text = parts.join(' ').replace(/\s*\r?\n\s*/g, ' | ');
  try {
    process.stderr.write(`${LOG_PREFIX} ${level}: ${text}\n`);
  } catch {
    // stderr closed: diagnostics are best effort.
  }
}

function formatArg(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
  // Promise.all-style error lists (a failed flush of several signals): one message each, no stacks.
  if (Array.isArray(arg) && arg.length > 0 && arg.every((a) => a instanceof Error))
    return arg.map(formatArg).join('; ');
  return inspect(arg, { depth: 3, breakLength: Infinity, compact: true });
}

/**
 * The diag logger of the distribution. Besides writing to stderr, it remembers which environment variables it already
 * reported, and drops later upstream messages about the same variable, so that a bad value gives one clear line.
 */
export class StderrDiagLogger implements DiagLogger {
  /** Variables already reported, and the exact messages given, so each problem is said once. */
  private readonly reported = new Set<string>();
  private readonly said = new Set<string>();
  level: DiagLogLevel = DiagLogLevel.WARN;

  /** Warns about a bad environment variable, once. */
  badVariable(name: string, message: string): void {
    this.reported.add(name);
    const line = `${name}: ${message}`;
    if (this.said.has(line)) return;
    this.said.add(line);
    if (this.level >= DiagLogLevel.WARN) writeDiagLine('warn', line);
  }

  /** Sets the level, here and in the API (a configuration file says its log_level only once it has been read). */
  setLevel(level: DiagLogLevel): void {
    this.level = level;
    diag.setLogger(this, { logLevel: level, suppressOverrideMessage: true });
  }

  private isDuplicate(message: string): boolean {
    const names = message.match(/OTEL_[A-Z0-9_]+/g);
    return names !== null && names.some((n) => this.reported.has(n));
  }

  error = (message: string, ...args: unknown[]): void => {
    if (this.isDuplicate(message)) return;
    if (DUPLICATE_REGISTRATION.test(message)) return this.appSetUpItsOwn();
    writeDiagLine('error', message, args);
  };

  /**
   * The API refuses a second registration of a global (an app that starts an SDK of its own under the preload) with
   * an error and its stack, one per global; what it means is one line, said once.
   */
  private appSetUpItsOwn(): void {
    if (this.said.has(DUPLICATE_REGISTRATION.source)) return;
    this.said.add(DUPLICATE_REGISTRATION.source);
    if (this.level >= DiagLogLevel.WARN)
      writeDiagLine(
        'warn',
        'the app set up OpenTelemetry itself after the preload: the globals the preload registered stay in charge ' +
          "(its providers, context manager and propagator); the app's are not registered. Keep one of the two setups",
      );
  }
  warn = (message: string, ...args: unknown[]): void => {
    if (!this.isDuplicate(message)) writeDiagLine('warn', message, args);
  };
  info = (message: string, ...args: unknown[]): void => writeDiagLine('info', message, args);
  debug = (message: string, ...args: unknown[]): void => writeDiagLine('debug', message, args);
  verbose = (message: string, ...args: unknown[]): void => writeDiagLine('verbose', message, args);
}

let installed: StderrDiagLogger | undefined;

/** The level of the distribution's logger (warn before it is installed). */
export function diagLevel(): DiagLogLevel {
  return installed?.level ?? DiagLogLevel.WARN;
}

/**
 * Installs the stderr logger at OTEL_LOG_LEVEL (warnings and errors by default). Upstream's DiagConsoleLogger is never
 * used: it writes info and debug to stdout.
 */
export function installDiagLogger(env: NodeJS.ProcessEnv): StderrDiagLogger {
  const logger = new StderrDiagLogger();
  installed = logger;
  // At warn until the level is known, so that a bad OTEL_LOG_LEVEL is itself said.
  logger.setLevel(DiagLogLevel.WARN);
  logger.setLevel(LEVELS[readLogLevel(env, logger.badVariable.bind(logger))]);
  return logger;
}
