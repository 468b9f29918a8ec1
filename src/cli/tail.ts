/**
 * `mcp-otel tail [--otlp-port N] [--host H] [--json] [--filter EXPR]...`: an OTLP/HTTP receiver that prints each
 * finished trace as the demo's tree on stdout, or with --json one JSON object per MCP operation per line.
 *
 * The receiving is the view's (receiver.ts: protobuf and JSON, gzip, each exporter answered in its encoding); when a
 * trace is finished is traces.ts's business; the tree is tree.ts's; an operation's outcome and session are
 * operations.ts's. This file reads the arguments, listens, prints, and stops on SIGINT or SIGTERM after printing what
 * it still holds. This process is not an MCP server: stdout carries the traces and nothing else; what it says about
 * itself (the address it listens on, a bad argument) goes to stderr.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { ExportBatch, Operation, SpanRecord } from '../view/model';
import { operationOf } from '../view/operations';
import { createOtlpHandler } from '../view/receiver';
import type { Rejection } from '../view/receiver';
import { FILTER_KEYS, parseFilters } from '../view/filter';
import type { OperationTest } from '../view/filter';
import { TraceCollector } from '../view/traces';
import type { FinishedTrace } from '../view/traces';
import { linesOfRows, terminalSafe, traceRows } from '../view/tree';
import { isLoopback, listenAddresses, listenOnAll, otlpAllowedHosts, urlHost } from '../view/listen';

const USAGE = `Usage: mcp-otel tail [--otlp-port N] [--host H] [--json] [--filter EXPR]...
       (without installing the package: npx -p @x/mcp-otel mcp-otel tail ...)

Receives OTLP/HTTP (protobuf or JSON) and prints each finished trace as a tree on stdout: a preloaded app with no
OTEL_* settings sends to http://localhost:4318, which is where this listens by default. A trace is printed once its
root and every span's parent have arrived and nothing new came for 1 s; one still missing spans after 10 s quiet, or
still growing after 60 s, is printed anyway and marked. Ctrl-C prints what is pending and exits.

  --otlp-port N     the port to receive OTLP/HTTP on (default 4318; 0 picks a free one). Once listening, this prints
                    "otlp: http://HOST:PORT" on stderr, one line per address
  --host H          the address to listen on (default loopback: 127.0.0.1 and ::1); any other lets others send to it
  --json            one JSON object per MCP operation per line instead of the trees: the operation (id, traceId,
                    spanId, parentSpanId, service, kind, method, target, name, startMs, durationMs, outcome,
                    errorType, statusMessage, session) and the span's attributes
  --filter EXPR     only the traces (with --json: the operations) of MCP operations that match; repeat to require
                    several. EXPR is
                      WORD          found (any case) in the service, method, target, outcome, name or error type
                      KEY=VALUE     the field is VALUE; * stands for any characters: tool=add, service=api-*
                      KEY!=VALUE    the field is not VALUE: outcome!=ok
                    KEY is one of ${FILTER_KEYS.join(', ')};
                    outcomes are ok, tool_error, caller_fault, error, input_required; side is client or server`;

/** How often finished traces are looked for. */
const TICK_MS = 200;
/** How many refused requests are named on stderr. */
const MAX_REFUSALS_SHOWN = 10;
/** How long the stop may take before the process exits anyway (a connection that will not close). */
const STOP_BOUND_MS = 2_000;

export interface TailOptions {
  otlpPort: number;
  /** Undefined: loopback, 127.0.0.1 and ::1 (as `view`), so that `localhost` works whichever the exporter picks. */
  host?: string;
  json: boolean;
  filters: string[];
}

/** The options, `help` for --help, or what is wrong with the arguments (one line). */
export function parseArguments(argv: readonly string[]): TailOptions | string {
  const options: TailOptions = { otlpPort: 4318, json: false, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inlineValue] = argv[i].startsWith('--') && argv[i].includes('=') ? splitOnce(argv[i]) : [argv[i]];
    const value = (): string | undefined => inlineValue ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--json':
        if (inlineValue !== undefined) return '--json takes no value';
        options.json = true;
        break;
      case '--otlp-port': {
        const given = value();
        const port = Number(given);
        // Digits only, as view: Number() alone takes 1e3, 0x10 and " 80".
        if (given === undefined || !/^\d+$/.test(given) || port > 65535)
          return `--otlp-port takes a port number from 0 to 65535${given === undefined ? '' : `, not "${given}"`}`;
        options.otlpPort = port;
        break;
      }
      case '--host': {
        const host = value();
        if (!host) return '--host takes an address to listen on, e.g. 127.0.0.1';
        options.host = host;
        break;
      }
      case '--filter': {
        const expression = value();
        if (expression === undefined) return '--filter takes an expression, e.g. --filter tool=add';
        options.filters.push(expression);
        break;
      }
      default:
        return `unknown argument ${JSON.stringify(argv[i])}`;
    }
  }
  return options;
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

/** What a printed trace's line says besides its span count: a continuation, an incomplete one. */
function traceNote(trace: FinishedTrace): string | undefined {
  const notes = [trace.continued ? 'continued: an earlier part was printed before' : undefined, trace.note];
  const said = notes.filter((note) => note !== undefined);
  return said.length > 0 ? ` (${said.join('; ')})` : undefined;
}

/** Turns finished traces into what stdout gets: trees, or JSON lines of operations. */
export class TracePrinter {
  private operationsSeen = 0;

  constructor(
    private readonly json: boolean,
    private readonly test: OperationTest | undefined,
  ) {}

  /** The text for one finished trace ('' when the filter leaves nothing of it). */
  render(trace: FinishedTrace): string {
    const laidOut = traceRows(trace.spans);
    const rows = laidOut.flatMap((t) => t.rows);
    const operations = rows.flatMap(({ span }) => {
      const operation = operationOf(span, this.operationsSeen + 1);
      if (operation === undefined) return [];
      this.operationsSeen++;
      return [{ operation, span }];
    });
    const passing = this.test ? operations.filter(({ operation }) => this.test?.(operation)) : operations;
    if (this.json) return passing.map(({ operation, span }) => `${jsonLine(jsonOf(operation, span))}\n`).join('');
    if (this.test && passing.length === 0) return '';
    const note = traceNote(trace);
    const lines = linesOfRows(laidOut, {
      traceNotes: note === undefined ? undefined : new Map([[trace.traceId, note]]),
      orphanNote: trace.continued ? ' (its parent was printed before, or not received)' : undefined,
    });
    return `${lines.join('\n')}\n\n`;
  }
}

/** Microseconds are all the SDKs' clocks give; the rest is noise from nanoseconds turned into milliseconds. */
const toMicroseconds = (ms: number): number => Math.round(ms * 1000) / 1000;

/** One --json line: the operation, then where it sits in its trace and its attributes. */
function jsonOf(operation: Operation, span: SpanRecord): object {
  const rounded = {
    ...operation,
    startMs: toMicroseconds(operation.startMs),
    durationMs: toMicroseconds(operation.durationMs),
  };
  return span.parentSpanId === undefined
    ? { ...rounded, attributes: span.attributes }
    : { ...rounded, parentSpanId: span.parentSpanId, attributes: span.attributes };
}

/**
 * A value as one JSON line with what a terminal acts on (DEL, the C1 controls such as U+009B, an 8-bit CSI, the
 * bidirectional marks, the line and paragraph separators) as \uXXXX escapes, by the tree's own escaping. Still the
 * same JSON: those characters can only occur inside strings (everything else of JSON is ASCII), where an escape stands
 * for the character; C0 controls are escaped by JSON.stringify already.
 */
export const jsonLine = (value: object): string => terminalSafe(JSON.stringify(value));

/** How much written but unread output may wait for stdout's reader before traces are dropped. */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/**
 * stdout with a bound on what waits for its reader. On Linux a pipe's stdout is asynchronous: when the reader stops
 * (`mcp-otel tail | less` left on a page, a stuck consumer), every write is queued in memory without end. Traces are
 * dropped once the queue passes the bound, said on stderr once, and the count said when the reader catches up.
 * Dropping, not pausing the receiver: a paused receiver would make the app's exporters time out and retry, and the app
 * comes first; what is dropped is what nobody was reading.
 */
export class BoundedOutput {
  private dropped = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { readonly writableLength: number },
    private readonly say: (line: string) => void,
    private readonly limit = MAX_PENDING_BYTES,
  ) {
    out.on('drain', () => {
      if (this.dropped === 0) return;
      this.say(`stdout is read again; ${this.dropped} trace${this.dropped === 1 ? ' was' : 's were'} dropped`);
      this.dropped = 0;
    });
  }

  /** Writes the text of one trace, or drops it when what waits already passed the bound. */
  write(text: string): void {
    if (this.out.writableLength < this.limit) {
      this.out.write(text);
      return;
    }
    if (this.dropped === 0) this.say('stdout is not being read fast enough: traces are dropped until it catches up');
    this.dropped++;
  }
}

/** Runs until SIGINT or SIGTERM; resolves with the exit status. */
export async function tail(options: TailOptions): Promise<number> {
  const test = options.filters.length > 0 ? parseFilters(options.filters) : undefined;
  if (typeof test === 'string') {
    process.stderr.write(`mcp-otel tail: ${test}\n`);
    return 2;
  }
  const collector = new TraceCollector();
  const printer = new TracePrinter(options.json, test);
  let stdoutBroken = false;
  const output = new BoundedOutput(process.stdout, (line) => process.stderr.write(`mcp-otel tail: ${line}\n`));
  const print = (traces: FinishedTrace[]): void => {
    for (const trace of traces) {
      // What a peer sent must not end the process: a trace that cannot be printed is named on stderr and skipped.
      let text: string;
      try {
        text = printer.render(trace);
      } catch (err) {
        process.stderr.write(
          `mcp-otel tail: trace ${terminalSafe(trace.traceId)} could not be printed: ${String(err)}\n`,
        );
        continue;
      }
      if (text !== '' && !stdoutBroken) output.write(text);
    }
  };
  const sink = (batch: ExportBatch): void => {
    if (batch.signal === 'traces') print(collector.add(batch.spans, Date.now()));
  };
  let refusalsShown = 0;
  // A sender that gets refused (wrong path, encoding, size) is why "nothing shows up": say so, a few times.
  const onRejected = (rejection: Rejection): void => {
    if (refusalsShown > MAX_REFUSALS_SHOWN) return;
    refusalsShown++;
    const line =
      refusalsShown > MAX_REFUSALS_SHOWN
        ? `further refused requests are not shown`
        : `refused a request (${rejection.status}): ${terminalSafe(rejection.message)}`;
    process.stderr.write(`mcp-otel tail: ${line}\n`);
  };
  const otlp = createOtlpHandler(sink, { onRejected, allowedHosts: otlpAllowedHosts(options.host) });
  const hosts = listenAddresses(options.host);
  let servers: Server[];
  try {
    ({ servers } = await listenOnAll(() => createServer(otlp), hosts, options.otlpPort));
  } catch (err) {
    const { code, address } = err as NodeJS.ErrnoException & { address?: string };
    const why =
      code === 'EADDRINUSE'
        ? 'the port is in use (is mcp-otel view or a collector running? --otlp-port 0 picks a free port)'
        : String((err as Error).message ?? err);
    process.stderr.write(
      `mcp-otel tail: cannot listen on ${urlHost(address ?? hosts[0])}:${options.otlpPort}: ${why}\n`,
    );
    return 1;
  }
  if (options.host !== undefined && !isLoopback(options.host))
    process.stderr.write(
      `mcp-otel tail: warning: listening on ${options.host}, not loopback: anyone who can reach it can send spans\n`,
    );
  for (const server of servers) {
    const address = server.address();
    if (address !== null && typeof address === 'object')
      process.stderr.write(`otlp: http://${urlHost(address.address)}:${address.port}\n`);
  }

  const ticker = setInterval(() => print(collector.due(Date.now())), TICK_MS);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(ticker);
      print(collector.flushAll());
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      setTimeout(() => process.exit(0), STOP_BOUND_MS).unref();
      resolve(0);
    };
    // `mcp-otel tail | head`: once the reader is gone there is nobody to print for.
    process.stdout.on('error', () => {
      stdoutBroken = true;
      stop();
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

if (require.main === module) {
  const parsed = parseArguments(process.argv.slice(2));
  if (parsed === 'help') process.stdout.write(`${USAGE}\n`);
  else if (typeof parsed === 'string') {
    process.stderr.write(`mcp-otel tail: ${parsed} (mcp-otel tail --help lists the options)\n`);
    process.exitCode = 2;
  } else {
    tail(parsed).then(
      (status) => (process.exitCode = status),
      (err: unknown) => {
        process.stderr.write(`mcp-otel tail: ${String(err)}\n`);
        process.exitCode = 1;
      },
    );
  }
}
