/**
 * `mcp-otel view [--port N] [--otlp-port N] [--host H] [--db FILE] [--max-spans N] [--max-logs N] [--max-points N]`:
 * a local OTLP/HTTP receiver (traces, metrics and logs, protobuf and JSON) on 127.0.0.1:4318, the endpoint every
 * OpenTelemetry SDK sends to when nothing is set, and a page on 127.0.0.1:4319 that shows the MCP operations it
 * received. Nothing to install but this package; Node's own SQLite keeps the data.
 *
 * Once listening it prints `view: http://HOST:PORT/` and `otlp: http://HOST:PORT` on stderr, one line per address, so
 * that scripts and tests can find them (port 0 picks a free port). Ctrl-C (SIGINT) or SIGTERM closes it, exit 0.
 * Exit status 1 when it cannot start (a port in use, an old Node); 2 for a wrong command line.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { DEFAULT_CAPS } from '../view/model';
import { LOOPBACK_NAMES, isLoopback, listenAddresses, listenOnAll, otlpAllowedHosts, urlHost } from '../view/listen';

const USAGE = `Usage: mcp-otel view [options]

Receives OpenTelemetry over OTLP/HTTP (protobuf or JSON) and shows the MCP operations in a web page.
Start it, then start your preloaded app with no OTEL_EXPORTER_OTLP_ENDPOINT (it sends to localhost:4318), and open
the view: URL it prints.

  --port N          the page's port (default 4319; 0 picks a free one)
  --otlp-port N     the OTLP/HTTP port (default 4318, the OpenTelemetry default; 0 picks a free one)
  --host H          the address to listen on (default loopback: 127.0.0.1 and ::1). Any other address lets other
                    machines send to it and read the page: a warning is printed
  --db FILE         keep what is received in this SQLite file across restarts (default: in memory)
  --max-spans N     spans kept; past it the oldest are dropped and counted (default ${DEFAULT_CAPS.spans})
  --max-logs N      log records kept (default ${DEFAULT_CAPS.logs})
  --max-points N    histogram series kept (default ${DEFAULT_CAPS.points})`;

/** Node's built-in SQLite without a flag, and our engines field. */
const MINIMUM_NODE = [22, 15] as const;

export interface ViewOptions {
  port: number;
  otlpPort: number;
  /** Undefined: loopback, 127.0.0.1 and ::1. */
  host?: string;
  db?: string;
  caps: { spans: number; logs: number; points: number };
}

/** The options, or what is wrong with the command line; `help` when it asks for the usage. */
export function parseViewArguments(argv: string[]): ViewOptions | 'help' | string {
  const options: ViewOptions = { port: 4319, otlpPort: 4318, caps: { ...DEFAULT_CAPS } };
  const count = (name: string, value: string | undefined, min: number, max: number): number | string => {
    const n = Number(value);
    return value !== undefined && /^\d+$/.test(value) && n >= min && n <= max
      ? n
      : `${name} takes a whole number from ${min} to ${max}, not ${value === undefined ? 'nothing' : `"${value}"`}`;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    let result: number | string;
    switch (name) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
      case '--otlp-port':
        result = count(name, value(), 0, 65535);
        if (typeof result === 'string') return result;
        if (name === '--port') options.port = result;
        else options.otlpPort = result;
        break;
      case '--host': {
        const host = value();
        if (host === undefined || host === '') return '--host takes an address, such as 127.0.0.1 or 0.0.0.0';
        options.host = host;
        break;
      }
      case '--db': {
        const file = value();
        if (file === undefined || file === '') return '--db takes a file name';
        options.db = file;
        break;
      }
      case '--max-spans':
      case '--max-logs':
      case '--max-points':
        result = count(name, value(), 1, 100_000_000);
        if (typeof result === 'string') return result;
        options.caps[name === '--max-spans' ? 'spans' : name === '--max-logs' ? 'logs' : 'points'] = result;
        break;
      default:
        return `unknown option "${arg}"`;
    }
  }
  if (options.port !== 0 && options.port === options.otlpPort) return '--port and --otlp-port must differ';
  return options;
}

function nodeIsTooOld(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major < MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor < MINIMUM_NODE[1]);
}

/** node:sqlite says it is experimental on some Node versions: that line is ours to keep off the user's terminal. */
function quietSqliteWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const message = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(message)) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

export async function view(argv: string[], err: (line: string) => void): Promise<number> {
  const options = parseViewArguments(argv);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof options === 'string') {
    err(`mcp-otel view: ${options}`);
    err(USAGE);
    return 2;
  }
  if (nodeIsTooOld()) {
    err(
      `mcp-otel view: needs Node ${MINIMUM_NODE.join('.')} or newer (its built-in SQLite); this is Node ` +
        `${process.versions.node}. Put a newer node first on PATH, or run it with one: npx -p node@22 ...`,
    );
    return 1;
  }
  quietSqliteWarning();
  // Loaded only now: node:sqlite does not exist on the Node versions refused above.
  const { Store } = require('../view/store') as typeof import('../view/store');
  const { createOtlpHandler } = require('../view/receiver') as typeof import('../view/receiver');
  const { createWebHandler } = require('../view/web') as typeof import('../view/web');

  const hosts = listenAddresses(options.host);
  if (options.host !== undefined && !isLoopback(options.host)) {
    err(
      `mcp-otel view: warning: listening on ${options.host}: other machines can send telemetry to it and read ` +
        'everything it shows (tool arguments, errors, logs); there is no authentication',
    );
  }
  let store: InstanceType<typeof Store>;
  try {
    store = new Store({ file: options.db, caps: options.caps });
  } catch (error) {
    err(`mcp-otel view: cannot open the database ${options.db ?? ''}: ${(error as Error).message}`);
    return 1;
  }
  // Refusals of a body (malformed, too large, an encoding it cannot read) are counted on the page; a stray GET is not.
  const otlp = createOtlpHandler((batch) => store.add(batch), {
    allowedHosts: otlpAllowedHosts(options.host),
    onRejected: ({ status }) => {
      if (status === 400 || status === 413 || status === 415) store.noteRejected();
    },
  });
  // The names the page answers to (any port): loopback's, and with --host the address given, this machine's name and
  // its addresses. Another name is refused, so that a site elsewhere cannot read the API through DNS rebinding.
  const allowedHosts = [...LOOPBACK_NAMES];
  if (options.host !== undefined && !isLoopback(options.host)) {
    const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => urlHost(a.address)));
    allowedHosts.push(urlHost(options.host), hostname(), ...addresses);
  }
  let listening: { servers: Server[]; port: number }[] = [];
  let web: ReturnType<typeof createWebHandler> | undefined;
  // Which listener a failure to listen is about (a refused address carries no port of its own).
  let listeningFor = { option: '--otlp-port', port: options.otlpPort };
  try {
    const otlpListening = await listenOnAll(() => createServer(otlp), hosts, options.otlpPort);
    listeningFor = { option: '--port', port: options.port };
    listening.push(otlpListening);
    web = createWebHandler(store, { allowedHosts, otlpUrl: `http://localhost:${otlpListening.port}` });
    const page = web;
    listening.push(await listenOnAll(() => createServer(page), hosts, options.port));
  } catch (error) {
    const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
    const where = `${address ?? hosts[0]}:${port ?? listeningFor.port}`;
    err(
      code === 'EADDRINUSE'
        ? `mcp-otel view: ${where} is in use (a collector, or another view?); stop it, or choose another port with ` +
            listeningFor.option
        : `mcp-otel view: cannot listen on ${where}: ${(error as Error).message}`,
    );
    web?.close();
    for (const { servers } of listening) for (const server of servers) server.close();
    store.close();
    return 1;
  }
  // The page first: it is the line a person looks for.
  for (const [label, { servers }] of [...listening.entries()].reverse()) {
    for (const server of servers) {
      const address = server.address();
      if (address === null || typeof address === 'string') continue;
      const url = `http://${urlHost(address.address)}:${address.port}`;
      err(label === 0 ? `otlp: ${url}` : `view: ${url}/`);
    }
  }
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const servers = listening.flatMap((l) => l.servers);
      listening = [];
      // The page's event streams first: open ones would keep close() waiting.
      web?.close();
      let open = servers.length;
      const done = (): void => {
        if (--open > 0) return;
        store.close();
        resolve(0);
      };
      for (const server of servers) {
        server.close(done);
        server.closeAllConnections();
      }
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

if (require.main === module) {
  view(process.argv.slice(2), (line) => process.stderr.write(`${line}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mcp-otel view: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
