/**
 * The OTLP/HTTP request handler (opentelemetry-proto docs/specification.md, "OTLP/HTTP"): POST /v1/traces,
 * /v1/metrics and /v1/logs, protobuf or JSON, plain, gzip or deflate; each body decoded and handed to the sink whole,
 * or refused whole. A success is answered with an empty Export*ServiceResponse in the sender's encoding (what the
 * exporters expect, so none warns); a refusal with its status code and a google.rpc.Status.
 *
 * A peer picks the sizes: the body is bounded before it is read (Content-Length), while it streams in, and after it
 * is decompressed (zlib's maxOutputLength stops a gzip bomb at the bound). Nothing a request does makes the handler
 * throw or answer twice.
 */
import { constants } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import type { BatchSink, ExportBatch } from './model';
import { decodeExport, OtlpDecodeError } from './otlp-decode';
import type { OtlpEncoding, Signal } from './otlp-decode';

/** The bound of a body, compressed and decompressed: half of what the specification recommends, for a laptop. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_LENGTH = constants.MAX_LENGTH;

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
const RPC_CODES: Record<number, number> = { 400: 3, 404: 12, 405: 12, 413: 8, 415: 3, 500: 13 };

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
  /** Called for each request refused, after its answer is sent on its way; what it throws is ignored. */
  onRejected?: (rejection: Rejection) => void;
}

export interface OtlpHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** How many requests were refused so far (any status but 200). */
  readonly rejected: number;
}

export function createOtlpHandler(sink: BatchSink, options: OtlpHandlerOptions = {}): OtlpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // zlib's maxOutputLength is at most a Buffer's largest size.
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > MAX_LENGTH) {
    throw new RangeError(`maxBodyBytes must be an integer from 1 to ${MAX_LENGTH}, not ${maxBodyBytes}`);
  }
  let rejected = 0;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const exchange = new Exchange(req, res, (rejection) => {
      rejected++;
      try {
        options.onRejected?.(rejection);
      } catch {
        // The listener's fault is not the peer's; the answer is already on its way.
      }
    });
    try {
      receive(exchange, sink, maxBodyBytes);
    } catch (error) {
      exchange.refuse(500, messageOf(error));
    }
  };
  Object.defineProperty(handler, 'rejected', { get: () => rejected, enumerable: true });
  return handler as OtlpHandler;
}

/** One request and its one answer. */
class Exchange {
  signal: Signal | undefined;
  encoding: OtlpEncoding | undefined;
  private answered = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly onRejected: (rejection: Rejection) => void,
  ) {
    // A socket error after the answer, or a peer gone mid-answer, is no one's to handle but must not throw.
    res.on('error', () => {});
  }

  get done(): boolean {
    return this.answered;
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
    if (this.res.headersSent || this.res.destroyed) return;
    this.res.statusCode = status;
    this.res.setHeader('Content-Type', CONTENT_TYPES[encoding]);
    this.res.setHeader('Content-Length', Buffer.byteLength(body));
    this.res.end(body);
  }
}

function receive(exchange: Exchange, sink: BatchSink, maxBodyBytes: number): void {
  const { req } = exchange;
  const path = (req.url ?? '').split('?', 1)[0];
  const signal = Object.hasOwn(SIGNAL_PATHS, path) ? SIGNAL_PATHS[path] : undefined;
  const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
  exchange.encoding = Object.hasOwn(MEDIA_TYPES, mediaType) ? MEDIA_TYPES[mediaType] : undefined;
  // A peer gone mid-body errors the request stream: nothing to answer, and nothing to throw.
  req.on('error', () => {});
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
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (exchange.done) return;
    const body = Buffer.concat(chunks, received);
    chunks.length = 0;
    decompress(body, contentEncoding, maxBodyBytes, (error, plain) => {
      if (error !== undefined) {
        if (error === TOO_LARGE) exchange.refuse(413, tooLarge(maxBodyBytes));
        else exchange.refuse(400, `the ${contentEncoding} body does not decompress: ${error.message}`);
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

/** The body as sent, or decompressed up to the bound (a larger output is TOO_LARGE, not a partial buffer). */
function decompress(
  body: Buffer,
  contentEncoding: string,
  maxBodyBytes: number,
  done: (error: Error | undefined, plain: Buffer) => void,
): void {
  if (contentEncoding === 'identity') return done(undefined, body);
  const options = { maxOutputLength: maxBodyBytes };
  const finish = (error: Error | null, plain: Buffer): void => {
    if (error === null) return done(undefined, plain);
    done((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? TOO_LARGE : error, plain);
  };
  if (contentEncoding === 'gzip') return gunzip(body, options, finish);
  // HTTP's deflate is the zlib format; some senders send raw deflate, which is tried when the zlib header is not there.
  inflate(body, options, (error, plain) => {
    if (error !== null && (error as NodeJS.ErrnoException).code === 'Z_DATA_ERROR') {
      inflateRaw(body, options, finish);
    } else finish(error, plain);
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
