/**
 * The view's web side: the page's static files and its JSON API (listed in model.ts), read-only, for a browser on this
 * machine. Everything the API answers came from a peer and is untrusted; the page renders it as text, and these
 * headers make sure nothing else can run: a strict Content-Security-Policy (no inline script or style, nothing from
 * elsewhere), nosniff, no referrer, no framing, no CORS.
 *
 * A site the user visits could still point a name of its own at 127.0.0.1 (DNS rebinding) and read the API as
 * same-origin: the Host header must be one of allowedHosts (421 otherwise), and a request that says it comes from
 * another origin is refused (403).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { OUTCOMES } from './model';
import type { Outcome, OperationFilter, OperationsAnswer, StoreReader } from './model';
import { createEventStreams } from './web-events';
import { hostAllowed } from './listen';
import { PACKAGE_NAME, VERSION } from '../version';

export interface WebOptions {
  /**
   * The Host header values the view answers to: a name (any port) or name:port; IPv6 addresses in brackets, as in a
   * URL. The view passes its own address and `localhost`.
   */
  allowedHosts: string[];
  /** The OTLP/HTTP endpoint the page tells the user to send to (`otlp:` on stderr). */
  otlpUrl?: string;
  /** Where the page's files are; the package's src/view/page by default. */
  pageDir?: string;
}

export interface WebHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Ends the page's event streams (they would keep server.close() waiting) and stops listening to the store. */
  close(): void;
}

/** dist/view/web.js -> src/view/page: tsc copies no static files, and the package ships src/view/page. */
const PAGE_DIR = join(__dirname, '..', '..', 'src', 'view', 'page');
/** The page's files by extension; any other file in its folder is not served. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // A page elsewhere cannot embed an answer as a script or image and read it through side channels.
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;
/** No filter value or session name is longer; a longer one is a mistake or an attack, not a search. */
const MAX_TEXT = 1000;
const TRACE_ID = /^[0-9a-f]{32}$/;
const STRING_PARAMS = { service: 'service', method: 'method', tool: 'tool', q: 'text', session: 'session' } as const;
const NUMBER_PARAMS = { before: 'beforeId', after: 'afterId', limit: 'limit' } as const;

/** A request the API refuses: its status and the one line of JSON error it answers. */
class Refusal {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

export function createWebHandler(store: StoreReader, options: WebOptions): WebHandler {
  const files = loadPage(options.pageDir ?? PAGE_DIR);
  const allowed = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
  const events = createEventStreams(store);
  const info = { product: PACKAGE_NAME, version: VERSION, otlpUrl: options.otlpUrl ?? null };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      answer(req, res);
    } catch (error) {
      if (!res.headersSent) json(req, res, error instanceof Refusal ? error.status : 500, { error: describe(error) });
      else res.destroy();
    }
  };

  function answer(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new Refusal(405, 'only GET and HEAD');
    }
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hostAllowed(host, allowed)) throw new Refusal(421, 'this view does not answer to that host name');
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, host)) throw new Refusal(403, 'requests from other sites refused');

    const url = new URL(req.url ?? '/', 'http://view.invalid');
    const path = url.pathname;
    const file = files.get(path);
    if (file) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return;
    }
    if (path === '/api/events') return events.open(req, res, SECURITY_HEADERS);
    json(req, res, 200, api(path, url.searchParams));
  }

  function api(path: string, query: URLSearchParams): unknown {
    if (path === '/api/operations') return operationsAnswer(store.operations(readFilter(query)));
    if (path === '/api/info') return refuseQuery(query) ?? info;
    if (path === '/api/status') return refuseQuery(query) ?? store.status();
    if (path === '/api/stats') return refuseQuery(query) ?? store.stats();
    const [prefix, route, param, ...rest] = path.split('/').slice(1);
    if (prefix !== 'api' || rest.length > 0 || param === undefined || param === '') {
      throw new Refusal(404, 'no such page');
    }
    if (route === 'trace') {
      const traceId = param.toLowerCase();
      if (!TRACE_ID.test(traceId)) throw new Refusal(400, 'a trace id is 32 hexadecimal digits');
      refuseQuery(query);
      const trace = store.trace(traceId);
      if (!trace) throw new Refusal(404, `no span of trace ${traceId} is stored`);
      return trace;
    }
    if (route === 'session') {
      const session = decodeSegment(param);
      const { limit } = readFilter(query, new Set(['limit']));
      const operations = store.sessionOperations(session, limit);
      if (operations.length === 0) throw new Refusal(404, 'no operation of that session is stored');
      return operationsAnswer(operations);
    }
    throw new Refusal(404, 'no such page');
  }

  function operationsAnswer(operations: OperationsAnswer['operations']): OperationsAnswer {
    return { operations, facets: store.facets(), status: store.status() };
  }

  handler.close = () => events.close();
  return handler;
}

/** The filters of GET /api/operations; every value checked, anything unknown or repeated refused. */
function readFilter(query: URLSearchParams, accepted?: Set<string>): OperationFilter {
  const filter: OperationFilter = { limit: DEFAULT_LIMIT };
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (seen.has(name)) throw new Refusal(400, `${name} is given twice`);
    seen.add(name);
    if (accepted && !accepted.has(name)) throw new Refusal(400, `unknown parameter ${quote(name)}`);
    if (name in STRING_PARAMS) {
      if (value.length > MAX_TEXT) throw new Refusal(400, `${name} is longer than ${MAX_TEXT} characters`);
      // An empty value is no filter: the page's selects send "" for "all".
      if (value !== '') filter[STRING_PARAMS[name as keyof typeof STRING_PARAMS]] = value;
    } else if (name in NUMBER_PARAMS) {
      const number = /^[0-9]{1,15}$/.test(value) ? Number(value) : NaN;
      if (!(number >= 0) || (name === 'limit' && (number < 1 || number > MAX_LIMIT)))
        throw new Refusal(400, `${name} must be ${name === 'limit' ? `1 to ${MAX_LIMIT}` : 'an operation id'}`);
      filter[NUMBER_PARAMS[name as keyof typeof NUMBER_PARAMS]] = number;
    } else if (name === 'outcome') {
      if (!(OUTCOMES as readonly string[]).includes(value) && value !== '')
        throw new Refusal(400, `outcome must be one of ${OUTCOMES.join(', ')}`);
      if (value !== '') filter.outcome = value as Outcome;
    } else if (name === 'trace') {
      if (!TRACE_ID.test(value)) throw new Refusal(400, 'a trace id is 32 lowercase hexadecimal digits');
      filter.traceId = value;
    } else {
      throw new Refusal(400, `unknown parameter ${quote(name)}`);
    }
  }
  return filter;
}

/** Routes that take no parameter refuse any, so that a mistyped URL says so; returns nothing otherwise. */
function refuseQuery(query: URLSearchParams): undefined {
  for (const [name] of query) throw new Refusal(400, `unknown parameter ${quote(name)}`);
  return undefined;
}

function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new Refusal(400, 'the session is not a valid URL component');
  }
  if (decoded.length > MAX_TEXT) throw new Refusal(400, `a session is at most ${MAX_TEXT} characters`);
  return decoded;
}

/** An Origin header names scheme, host and port; ours is http:// and the Host the request was sent to. */
function sameOrigin(origin: string, host: string): boolean {
  return origin.toLowerCase() === `http://${host}`;
}

function json(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Every file of the page, by the path it is served at; `/` is index.html. */
function loadPage(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    // Read once: the files are small, and a page served while the package is being replaced stays whole.
    if (type !== undefined) files.set(`/${name}`, { body: readFileSync(join(dir, name)), type });
  }
  const index = files.get('/index.html');
  if (index === undefined) throw new Error(`the page's index.html is missing from ${dir}; reinstall @x/mcp-otel`);
  files.set('/', index);
  return files;
}

function describe(error: unknown): string {
  if (error instanceof Refusal) return error.message;
  return `the view failed to answer: ${error instanceof Error ? error.message : String(error)}`;
}

/** A name from the query echoed in an error, bounded and as JSON (the answer is JSON, never HTML). */
function quote(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);
}
