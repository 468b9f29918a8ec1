/**
 * The OTLP/HTTP request handler (opentelemetry-proto docs/specification.md, "OTLP/HTTP"): POST /v1/traces,
 * /v1/metrics and /v1/logs, protobuf or JSON, plain, gzip or deflate; each body decoded and handed to the sink whole,
 * or refused whole. A success is answered with an empty Export*ServiceResponse in the sender's encoding (what the
 * exporters expect, so none warns); a refusal with its status code and a google.rpc.Status.
 *
 * A peer picks the sizes: the body is bounded before it is read (Content-Length), while it streams in, and after it
 * is decompressed (zlib's maxOutputLength stops a gzip bomb at the bound); and all the requests being read or
 * decoded at once share a budget of bytes (503 with Retry-After past it, which exporters retry), so that many slow
 * peers cannot each hold a body's bound. A request that carries an Origin (a browser's: exporters send none, and
 * there is no CORS here) or a Host not among allowedHosts (DNS rebinding) is refused unread. Nothing a request does
 * makes the handler throw or answer twice.
 */
import { constants } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import type { Transform } from 'node:stream';
import { hostAllowed } from './listen';
import type { BatchSink, ExportBatch } from './model';
import { decodeExport, OtlpDecodeError } from './otlp-decode';
import type { OtlpEncoding, Signal } from './otlp-decode';

/** The bound of a body, compressed and decompressed: half of what the specification recommends, for a laptop. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_LENGTH = constants.MAX_LENGTH;

/** The bytes all requests being read, decompressed or decoded may hold at once: four bodies at their bound. */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 128 * 1024 * 1024;

const SIGNAL_PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
const MEDIA_TYPES: Record<string, OtlpEncoding> = {
  'application/x-protobuf': 'protobuf',
  'application/json': 'json',
};
const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** How much of a refused body is read (and dropped) before the connection is cut instead. */
const MAX_DRAIN_BYTES = 4 * 1024 * 1024;

/** How much of a path or header a refusal quotes (they are the peer's). */
const MAX_SHOWN = 100;

/** google.rpc.Code values for the Status of a refusal; OTLP clients only log them. */
const RPC_CODES: Record<number, number> = {
  400: 3,
  403: 7,
  404: 12,
  405: 12,
  413: 8,
  415: 3,
  421: 7,
  500: 13,
  503: 14,
};

/** A request refused, as the handler reports it. */
export interface Rejection {
  status: number;
  /** The signal of the path, when the path was one. */
  signal?: Signal;
  message: string;
}

export interface OtlpHandlerOptions {
  /** Default DEFAULT_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /** Default DEFAULT_MAX_IN_FLIGHT_BYTES; at least maxBodyBytes. */
  maxInFlightBytes?: number;
  /** The Host names (lowercase, `name` or `name:port`) requests must carry; undefined: any. */
  allowedHosts?: string[];
  /** Called for each request refused, after its answer is sent on its way; what it throws is ignored. */
  onRejected?: (rejection: Rejection) => void;
}

export interface OtlpHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** How many requests were refused so far (any status but 200). */
  readonly rejected: number;
  /** The bytes the requests under way hold now (received, decompressed), against maxInFlightBytes. */
  readonly inFlightBytes: number;
}

/** The bytes all requests hold, and their bound. */
class Budget {
  used = 0;
  constructor(readonly limit: number) {}
}

export function createOtlpHandler(sink: BatchSink, options: OtlpHandlerOptions = {}): OtlpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // zlib's maxOutputLength is at most a Buffer's largest size.
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > MAX_LENGTH) {
    throw new RangeError(`maxBodyBytes must be an integer from 1 to ${MAX_LENGTH}, not ${maxBodyBytes}`);
  }
  const maxInFlightBytes = options.maxInFlightBytes ?? Math.max(DEFAULT_MAX_IN_FLIGHT_BYTES, maxBodyBytes);
  if (!Number.isSafeInteger(maxInFlightBytes) || maxInFlightBytes < maxBodyBytes) {
    throw new RangeError(`maxInFlightBytes must be an integer of at least maxBodyBytes, not ${maxInFlightBytes}`);
  }
  const budget = new Budget(maxInFlightBytes);
  const allowedHosts =
    options.allowedHosts === undefined ? undefined : new Set(options.allowedHosts.map((host) => host.toLowerCase()));
  let rejected = 0;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const exchange = new Exchange(req, res, budget, (rejection) => {
      rejected++;
      try {
        options.onRejected?.(rejection);
      } catch {
        // The listener's fault is not the peer's; the answer is already on its way.
      }
    });
    try {
      receive(exchange, sink, maxBodyBytes, allowedHosts);
    } catch (error) {
      exchange.refuse(500, messageOf(error));
    }
  };
  Object.defineProperty(handler, 'rejected', { get: () => rejected, enumerable: true });
  Object.defineProperty(handler, 'inFlightBytes', { get: () => budget.used, enumerable: true });
  return handler as OtlpHandler;
}

/** One request and its one answer. */
class Exchange {
  signal: Signal | undefined;
  encoding: OtlpEncoding | undefined;
  private answered = false;
  /** The bytes of the budget this request holds. */
  private held = 0;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly budget: Budget,
    private readonly onRejected: (rejection: Rejection) => void,
  ) {
    // A socket error after the answer, or a peer gone mid-answer, is no one's to handle but must not throw.
    res.on('error', () => {});
    // A peer gone mid-body never reaches an answer: what it held goes back when its connection does.
    res.on('close', () => this.release());
  }

  get done(): boolean {
    return this.answered;
  }

  /** Takes `bytes` from the budget, or answers 503 and returns false when they do not fit. */
  hold(bytes: number): boolean {
    if (this.budget.used + bytes > this.budget.limit) {
      this.release();
      this.refuse(503, 'too many bytes in flight; retry later', { 'Retry-After': '1' });
      return false;
    }
    this.budget.used += bytes;
    this.held += bytes;
    return true;
  }

  /**
   * Gives back `bytes` of what this request holds (all by default; never more than it holds, so that a part given
   * back after all of it was, on a close or a refusal, is not given back twice).
   */
  release(bytes = this.held): void {
    const given = Math.min(bytes, this.held);
    this.budget.used -= given;
    this.held -= given;
  }

  succeed(): void {
    // An empty Export*ServiceResponse: partial_success unset, as the specification requires on full success.
    const encoding = this.encoding ?? 'protobuf';
    this.send(200, encoding, encoding === 'json' ? '{}' : Buffer.alloc(0));
  }

  /**
   * Answers with a status and a google.rpc.Status in the sender's encoding (JSON when the sender's was neither, so
   * that a person with curl can read it).
   */
  refuse(status: number, message: string, headers: Record<string, string> = {}): void {
    if (this.answered) return;
    const encoding = this.encoding ?? 'json';
    const code = RPC_CODES[status] ?? 2;
    const body = encoding === 'json' ? JSON.stringify({ code, message }) : encodeStatus(code, message);
    for (const [name, value] of Object.entries(headers)) this.res.setHeader(name, value);
    this.send(status, encoding, body);
    this.onRejected(this.signal === undefined ? { status, message } : { status, signal: this.signal, message });
  }

  private send(status: number, encoding: OtlpEncoding, body: string | Buffer): void {
    if (this.answered) return;
    this.answered = true;
    this.release();
    if (this.res.headersSent || this.res.destroyed) return;
    this.res.statusCode = status;
    this.res.setHeader('Content-Type', CONTENT_TYPES[encoding]);
    this.res.setHeader('Content-Length', Buffer.byteLength(body));
    this.res.end(body);
  }
}

function receive(
  exchange: Exchange,
  sink: BatchSink,
  maxBodyBytes: number,
  allowedHosts: ReadonlySet<string> | undefined,
): void {
  const { req } = exchange;
  const path = (req.url ?? '').split('?', 1)[0];
  const signal = Object.hasOwn(SIGNAL_PATHS, path) ? SIGNAL_PATHS[path] : undefined;
  const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
  exchange.encoding = Object.hasOwn(MEDIA_TYPES, mediaType) ? MEDIA_TYPES[mediaType] : undefined;
  // A peer gone mid-body errors the request stream: nothing to answer, and nothing to throw.
  req.on('error', () => {});
  if (allowedHosts !== undefined && !hostAllowed((req.headers.host ?? '').toLowerCase(), allowedHosts)) {
    return refuseUnread(exchange, 421, `this receiver does not answer to host ${shown(req.headers.host ?? '')}`);
  }
  if (req.headers.origin !== undefined) {
    return refuseUnread(exchange, 403, 'requests from web pages (with an Origin) are refused; send from an exporter');
  }
  if (signal === undefined) {
    return refuseUnread(
      exchange,
      404,
      `no OTLP endpoint at ${shown(path)}; POST to /v1/traces, /v1/metrics or /v1/logs`,
    );
  }
  exchange.signal = signal;
  if (req.method !== 'POST') {
    return refuseUnread(exchange, 405, `${shown(req.method ?? '')} is not allowed; OTLP/HTTP is POST`, {
      Allow: 'POST',
    });
  }
  if (exchange.encoding === undefined) {
    const type = mediaType === '' ? 'no Content-Type' : `Content-Type ${shown(mediaType)}`;
    return refuseUnread(exchange, 415, `${type}; OTLP/HTTP is application/x-protobuf or application/json`);
  }
  const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (contentEncoding !== 'identity' && contentEncoding !== 'gzip' && contentEncoding !== 'deflate') {
    return refuseUnread(exchange, 415, `Content-Encoding ${shown(contentEncoding)}; accepted: gzip, deflate, identity`);
  }
  const declared = Number(req.headers['content-length']);
  if (declared > maxBodyBytes) return refuseUnread(exchange, 413, tooLarge(maxBodyBytes));

  const chunks: Buffer[] = [];
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    if (exchange.done) return;
    received += chunk.length;
    if (received > maxBodyBytes) {
      chunks.length = 0;
      exchange.refuse(413, tooLarge(maxBodyBytes));
      drain(req);
      return;
    }
    if (!exchange.hold(chunk.length)) {
      chunks.length = 0;
      drain(req);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (exchange.done) return;
    const body = Buffer.concat(chunks, received);
    chunks.length = 0;
    decompress(exchange, body, contentEncoding, maxBodyBytes, (error, plain) => {
      if (error !== undefined) {
        if (error === TOO_LARGE) exchange.refuse(413, tooLarge(maxBodyBytes));
        else if (error !== OVER_BUDGET) {
          exchange.refuse(400, `the ${contentEncoding} body does not decompress: ${error.message}`);
        }
        return;
      }
      accept(exchange, sink, signal, plain);
    });
  });
  // An aborted body ends here with no 'end': there is no one to answer, and nothing was kept.
}

function accept(exchange: Exchange, sink: BatchSink, signal: Signal, body: Buffer): void {
  let batch: ExportBatch;
  try {
    batch = decodeExport(signal, body, exchange.encoding ?? 'protobuf');
  } catch (error) {
    exchange.refuse(400, error instanceof OtlpDecodeError ? error.message : messageOf(error));
    return;
  }
  try {
    sink(batch);
  } catch (error) {
    exchange.refuse(500, messageOf(error));
    return;
  }
  exchange.succeed();
}

/** Refuses before reading the body, which is then drained. */
function refuseUnread(exchange: Exchange, status: number, message: string, headers: Record<string, string> = {}) {
  exchange.refuse(status, message, headers);
  drain(exchange.req);
}

/**
 * Reads and drops the rest of a refused body, so that the sender, still writing, reads the answer rather than a
 * connection reset, and the connection stays usable; past MAX_DRAIN_BYTES it is not worth reading, and the
 * connection is cut.
 */
function drain(req: IncomingMessage): void {
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

/** A value of the peer's quoted in a refusal, cut to a readable length. */
function shown(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

function tooLarge(maxBodyBytes: number): string {
  return `body larger than ${maxBodyBytes} bytes`;
}

const TOO_LARGE = new Error('too large');
/** The budget refused the output: the exchange has answered 503. */
const OVER_BUDGET = new Error('over budget');

/**
 * The body as sent, or decompressed up to the bound (a larger output is TOO_LARGE, not a partial buffer). The output
 * is held against the budget as it comes out (OVER_BUDGET past it), and the compressed body given back once done.
 */
function decompress(
  exchange: Exchange,
  body: Buffer,
  contentEncoding: string,
  maxBodyBytes: number,
  done: (error: Error | undefined, plain: Buffer) => void,
): void {
  if (contentEncoding === 'identity') return done(undefined, body);
  const run = (make: () => Transform, onError: (error: Error) => void): void => {
    const zlib = make();
    const chunks: Buffer[] = [];
    let length = 0;
    let held = 0;
    let failed = false;
    const stop = (error: Error): void => {
      if (failed) return;
      failed = true;
      exchange.release(held);
      chunks.length = 0;
      zlib.destroy();
      onError(error);
    };
    zlib.on('data', (chunk: Buffer) => {
      if (failed) return;
      length += chunk.length;
      if (length > maxBodyBytes) return stop(TOO_LARGE);
      if (!exchange.hold(chunk.length)) return stop(OVER_BUDGET);
      held += chunk.length;
      chunks.push(chunk);
    });
    zlib.on('error', stop);
    zlib.on('end', () => {
      if (failed) return;
      exchange.release(body.length);
      done(undefined, Buffer.concat(chunks, length));
    });
    zlib.end(body);
  };
  if (contentEncoding === 'gzip') return run(createGunzip, (error) => done(error, body));
  // HTTP's deflate is the zlib format; some senders send raw deflate, which is tried when the zlib header is not there.
  run(createInflate, (error) => {
    if ((error as NodeJS.ErrnoException).code === 'Z_DATA_ERROR') run(createInflateRaw, (again) => done(again, body));
    else done(error, body);
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** google.rpc.Status { int32 code = 1; string message = 2; } in the wire format. */
function encodeStatus(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const length = varint(text.length);
  return Buffer.concat([Buffer.from([0x08, code, 0x12]), length, text]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}
