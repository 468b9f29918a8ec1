/**
 * `mcp-otel check [--timeout MS] [--no-compare] [--] <command> [args...]`: is this stdio MCP server covered?
 *
 * It starts the server as a host would, bare and then preloaded, and speaks the start of a session to each
 * (`initialize`, `notifications/initialized`, `tools/list`), with a trace context of its own in `_meta`. Then it
 * reports what the preload found (its debug lines that name each MCP implementation it hooked), whether the server
 * answered the same both times, and which spans it exported into a receiver in this process (OTLP/HTTP JSON on
 * 127.0.0.1, port 0), in the caller's trace or not.
 *
 * Exit status: 0 covered; 1 the server answered but is not covered, or answered differently under the preload; 2 it
 * did not answer, or the command line is wrong. The report goes to stdout: this process is not an MCP server.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const USAGE = `Usage: mcp-otel check [--timeout MS] [--no-compare] [--] <command> [args...]

Starts a stdio MCP server bare and under the preload, sends initialize and tools/list, and reports which MCP
implementation the preload found in it and which spans it made. Exit status 0 when covered.

  --timeout MS     how long to wait for each answer (default 20000: npx may install first)
  --no-compare     start it under the preload only, not bare first`;

/** How long a server has to exit once its stdin is closed, before SIGTERM, then SIGKILL. */
const EXIT_BOUND_MS = 5000;
/** The debug lines of the preload that name an MCP implementation it hooked (instrumentation.ts and its adapters). */
const FOUND_LINE = /^@x\/mcp-otel debug: (MCP .*(?:hooked by name|found bundled in).*)$/;
/** How much of a server's stderr is kept for the report. */
const STDERR_KEPT = 64 * 1024;
const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

interface Options {
  timeoutMs: number;
  compare: boolean;
  command: string;
  args: string[];
}

interface ExportedSpan {
  name: string;
  kind: string;
  traceId: string;
  parentSpanId: string;
}

interface Session {
  /** The results of initialize and tools/list, or the error that ended the session. */
  initialize?: unknown;
  toolsList?: unknown;
  failure?: string;
  /** Lines on stdout that are not JSON: a stdio server must write only JSON-RPC there. */
  strayLines: number;
  /** The end of what it wrote on stderr, and the preload's lines that name an MCP implementation it hooked. */
  stderr: string;
  found: string[];
  exit: string;
}

export function parseArguments(argv: string[]): Options | string {
  const options: Options = { timeoutMs: 20_000, compare: true, command: '', args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '--no-compare') options.compare = false;
    else if (arg === '--timeout') {
      const ms = Number(argv[++i]);
      if (!Number.isSafeInteger(ms) || ms <= 0) return `--timeout takes a number of milliseconds, not "${argv[i]}"`;
      options.timeoutMs = ms;
    } else if (arg.startsWith('-')) return `unknown option ${arg}`;
    else break;
  }
  if (i >= argv.length) return 'no server command given';
  [options.command, ...options.args] = argv.slice(i);
  // A script file given alone runs with this node, as the wrapper does.
  if (/\.[cm]?js$/.test(options.command)) {
    options.args.unshift(options.command);
    options.command = process.execPath;
  }
  return options;
}

/** A receiver of OTLP/HTTP JSON traces; metrics and logs are accepted and dropped. */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; close(): void }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        if (req.url === '/v1/traces') spans.push(...spansOf(JSON.parse(body.toString('utf8'))));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => server.close() };
}

interface OtlpJsonSpan {
  name?: string;
  kind?: number;
  traceId?: string;
  parentSpanId?: string;
}

function spansOf(request: { resourceSpans?: { scopeSpans?: { spans?: OtlpJsonSpan[] }[] }[] }): ExportedSpan[] {
  const out: ExportedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? [])
    for (const scopeSpans of resourceSpans.scopeSpans ?? [])
      for (const span of scopeSpans.spans ?? [])
        out.push({
          name: String(span.name),
          kind: SPAN_KINDS[span.kind ?? 0] ?? String(span.kind),
          traceId: String(span.traceId ?? ''),
          parentSpanId: String(span.parentSpanId ?? ''),
        });
  return out;
}

/** The environment of the preloaded run: the preload in NODE_OPTIONS, exporting traces to the receiver only. */
function preloadedEnv(receiverUrl: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Settings that would send the spans elsewhere, or turn them off.
  for (const name of Object.keys(env))
    if (name.startsWith('OTEL_EXPORTER_OTLP_') || name === 'OTEL_CONFIG_FILE' || name === 'OTEL_SDK_DISABLED')
      delete env[name];
  const register = pathToFileURL(join(__dirname, '..', '..', 'register.mjs')).href;
  return {
    ...env,
    NODE_OPTIONS: `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ''}--import ${register}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    OTEL_LOG_LEVEL: 'debug',
  };
}

/** Starts the server, sends initialize, initialized and tools/list, closes its stdin and waits for it to exit. */
async function runSession(options: Options, env: NodeJS.ProcessEnv, traceparent: string): Promise<Session> {
  const session: Session = { strayLines: 0, stderr: '', found: [], exit: '' };
  const child = spawn(options.command, options.args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<string>((resolve) => {
    child.on('error', (err) => resolve(`could not start: ${err.message}`));
    child.on('close', (code, signal) => resolve(signal ? `ended by ${signal}` : `exited with code ${code}`));
  });
  // A process the server started may hold its stdout and stderr open after it exited (npx's child): 'close' would
  // never come, so the pipes are let go a moment after 'exit'.
  child.on('exit', () => {
    setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
    }, 1000).unref();
  });
  // Text, not chunks: a character split across two chunks stays whole. Of stderr, the preload's lines that name what
  // it found are kept, and the last STDERR_KEPT characters for the report.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  let stderrLine = '';
  child.stderr.on('data', (chunk: string) => {
    session.stderr = (session.stderr + chunk).slice(-STDERR_KEPT);
    const lines = (stderrLine + chunk).split('\n');
    stderrLine = lines.pop() ?? '';
    for (const line of lines) {
      const found = FOUND_LINE.exec(line.trimEnd());
      if (found) session.found.push(found[1]);
    }
  });
  child.stdin.on('error', () => {});
  const waiting = new Map<number, (message: Record<string, unknown>) => void>();
  let buffered = '';
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') onLine(line);
    }
  });
  const write = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
  const onLine = (line: string) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      session.strayLines++;
      return;
    }
    if (typeof message.method === 'string' && message.id !== undefined) {
      // A request of the server's: ping is answered, anything else is declined as a host without it would.
      write(
        message.method === 'ping'
          ? { jsonrpc: '2.0', id: message.id, result: {} }
          : { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } },
      );
    } else if (typeof message.id === 'number') waiting.get(message.id)?.(message);
  };
  const request = async (id: number, method: string, params: Record<string, unknown>): Promise<unknown> => {
    const answered = new Promise<Record<string, unknown>>((resolve) => waiting.set(id, resolve));
    write({ jsonrpc: '2.0', id, method, params: { ...params, _meta: { traceparent } } });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer to ${method} within ${options.timeoutMs} ms`), options.timeoutMs);
    });
    const outcome = await Promise.race([answered, timeout, exited]).finally(() => clearTimeout(timer));
    if (typeof outcome === 'string') throw new Error(outcome.startsWith('no answer') ? outcome : `it ${outcome}`);
    if (outcome.error !== undefined)
      throw new Error(`${method} answered with an error: ${JSON.stringify(outcome.error)}`);
    return outcome.result;
  };
  try {
    session.initialize = await request(1, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'mcp-otel-check', version: '1' },
    });
    write({ jsonrpc: '2.0', method: 'notifications/initialized', params: { _meta: { traceparent } } });
    session.toolsList = await request(2, 'tools/list', {});
  } catch (err) {
    session.failure = (err as Error).message;
  }
  child.stdin.end();
  const term = setTimeout(() => child.kill('SIGTERM'), EXIT_BOUND_MS);
  const kill = setTimeout(() => child.kill('SIGKILL'), EXIT_BOUND_MS + 2000);
  const how = await exited;
  session.exit = how.startsWith('ended by') ? `${how}: it did not exit within ${EXIT_BOUND_MS} ms` : how;
  clearTimeout(term);
  clearTimeout(kill);
  return session;
}

function describeAnswers(session: Session): string {
  const init = session.initialize as { serverInfo?: { name?: unknown; version?: unknown }; protocolVersion?: unknown };
  const tools = (session.toolsList as { tools?: unknown[] } | undefined)?.tools;
  const info = init?.serverInfo;
  const server = info ? `server "${String(info.name)}" ${String(info.version)}, ` : '';
  return (
    `answered initialize (${server}protocol ${String(init?.protocolVersion)}) and tools/list ` +
    `(${Array.isArray(tools) ? tools.length : 'no'} tools)`
  );
}

/** The server's last lines on stderr (not the preload's debug lines), indented, after a newline; or nothing. */
function lastLines(text: string, count: number): string {
  const lines = text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('@x/mcp-otel debug:'))
    .slice(-count);
  return lines.map((line) => `\n      ${line}`).join('');
}

export async function check(argv: string[], out: (line: string) => void): Promise<number> {
  const options = parseArguments(argv);
  if (typeof options === 'string') {
    out(`mcp-otel check: ${options}\n\n${USAGE}`);
    return 2;
  }
  out(`mcp-otel check: ${[options.command, ...options.args].join(' ')}`);
  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const traceparent = `00-${traceId}-${callerSpanId}-01`;
  let verdict = 0;

  let bare: Session | undefined;
  if (options.compare) {
    bare = await runSession(options, process.env, traceparent);
    if (bare.failure) {
      out(`  bare:       ${bare.failure}; ${bare.exit}${lastLines(bare.stderr, 5)}`);
      return 2;
    }
    out(`  bare:       ${describeAnswers(bare)}`);
  }

  const receiver = await startReceiver();
  try {
    const preloaded = await runSession(options, preloadedEnv(receiver.url), traceparent);
    if (preloaded.failure) {
      out(`  preloaded:  ${preloaded.failure}; ${preloaded.exit}${lastLines(preloaded.stderr, 5)}`);
      return 2;
    }
    if (!bare) out(`  preloaded:  ${describeAnswers(preloaded)}`);
    else if (isDeepStrictEqual([bare.initialize, bare.toolsList], [preloaded.initialize, preloaded.toolsList]))
      out('  preloaded:  the same answers');
    else {
      out('  preloaded:  DIFFERENT answers from bare (please report it)');
      verdict = 1;
    }
    if (preloaded.strayLines > (bare?.strayLines ?? 0)) {
      out(`  stdout:     ${preloaded.strayLines} lines that are not JSON-RPC under the preload (please report it)`);
      verdict = 1;
    }

    const found = preloaded.found;
    const nothingFound = 'no MCP implementation that the preload knows';
    out(`  found:      ${found.length > 0 ? found.join('\n              ') : nothingFound}`);

    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    const others = receiver.spans.length - spans.length;
    const named = spans.map((span) => `${span.kind} ${span.name}`).join(', ');
    const inTrace = named === '' ? "none in the caller's trace" : `${named}, in the caller's trace`;
    out(`  spans:      ${inTrace}${others > 0 ? ` (and ${others} in other traces)` : ''}`);
    const served = (name: string) =>
      spans.some((span) => span.kind === 'SERVER' && span.name === name && span.parentSpanId === callerSpanId);
    const covered = served('initialize') && served('tools/list');
    out(`  exit:       ${preloaded.exit} after its stdin closed`);
    out(`  covered:    ${covered ? 'yes' : 'no'}`);
    return covered ? verdict : 1;
  } finally {
    receiver.close();
  }
}

if (require.main === module) {
  check(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    (status) => (process.exitCode = status),
    (err: unknown) => {
      process.stderr.write(`mcp-otel check: ${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
