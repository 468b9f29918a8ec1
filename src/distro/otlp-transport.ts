/**
 * The sending part of the OTLP/HTTP exporters (protobuf and JSON), in place of upstream's: the same request, with
 * what upstream resolved for it (URL, headers, compression, the agent with any TLS settings, the user agent), but
 *
 * - it never keeps the process alive: its sockets and retry timers are unref'd, so an app whose own work is done
 *   exits whatever the collector does (absent, refusing, silent, slow, answering 5xx or 429); the exit flush holds the
 *   process for its bounded time itself (flush/process-hooks.ts);
 * - it retries (429, 502, 503, 504 and network errors, with upstream's backoff and Retry-After) only for a collector
 *   that has taken telemetry before, and once more at most when the process starts ending; a collector that never has
 *   gets one attempt per export, each a probe;
 * - it tells why a send failed (connection refused, no answer within N ms, HTTP 503 ...), for the one-line reports of
 *   collectors.ts.
 * upstream's export delegate around it (serialization, the concurrency limit, partial success) is unchanged.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { gzip } from 'node:zlib';
import { errorFailure, exitBeginning, httpFailure, isExiting } from './collectors';
import type { Collector, SendFailure } from './collectors';
import { VERSION } from '../version';

/**
 * The private shapes of @opentelemetry/otlp-exporter-base 0.300.0 read here (pinned exactly; read in
 * `dist/OTLPExporterBase.cjs` (`_delegate`), `dist/otlp-export-delegate.cjs` (`_transport`),
 * `dist/retrying-transport.cjs` (`_transport`), `dist/platform/node/transport/http-exporter-transport.cjs`
 * (`_parameters`, as `configuration/otlp-node-http-configuration.cjs` merges them) and the response shapes of
 * `dist/export-response.d.cts`).
 */
interface HttpParameters {
  url: string;
  headers(): Promise<Record<string, string>> | Record<string, string>;
  compression: 'gzip' | 'none';
  agentFactory(protocol: string): Promise<Agent> | Agent;
  userAgent?: string;
}
interface UpstreamExporter {
  _delegate?: { _transport?: { send?: unknown; _transport?: { _parameters?: HttpParameters } } };
}
type ExportResponse =
  | { status: 'success'; data?: Uint8Array }
  | { status: 'failure'; error: Error }
  | { status: 'retryable'; error?: Error; retryInMillis?: number };

const MAX_ATTEMPTS = 6;
const INITIAL_BACKOFF_MILLIS = 1000;
const MAX_BACKOFF_MILLIS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
const USER_AGENT = `@x/mcp-otel/${VERSION}`;

/** An error that carries its cause for people (collectors.ts reads `sendFailure`). */
class SendError extends Error {
  constructor(readonly sendFailure: SendFailure) {
    super(sendFailure.cause);
  }
}

/** Retry-After in milliseconds: seconds, or an HTTP date. */
function retryAfterMillis(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return Math.max(seconds, 0) * 1000;
  const date = new Date(value).getTime();
  return Number.isNaN(date) ? undefined : Math.max(date - Date.now(), 0);
}

function compressed(data: Uint8Array, compression: 'gzip' | 'none'): Promise<Uint8Array> {
  if (compression !== 'gzip') return Promise.resolve(data);
  return new Promise((resolve, reject) => gzip(data, (err, out) => (err ? reject(err) : resolve(out))));
}

/** A pause that does not keep the process alive. */
function unrefDelay(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis).unref());
}

/** One batch's delivery: whether its request is written out and waiting for an answer (exporters.ts reads it). */
export interface Delivery {
  written: boolean;
}

/** The delivery of the export being handed to upstream's exporter, which calls send() synchronously. */
let handing: Delivery | undefined;

/** Runs `hand` (an upstream export) with `delivery` as the batch its send() delivers. */
export function deliveringBatch<T>(delivery: Delivery, hand: () => T): T {
  handing = delivery;
  try {
    return hand();
  } finally {
    handing = undefined;
  }
}

export class UnrefHttpTransport {
  private utils: { agent: Agent; request: (url: URL, options: RequestOptions) => ClientRequest } | undefined;

  constructor(
    private readonly parameters: HttpParameters,
    private readonly collector: Collector,
  ) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const delivery = handing ?? { written: false };
    const deadline = Date.now() + timeoutMillis;
    let backoff = INITIAL_BACKOFF_MILLIS;
    for (let attempt = 1; ; attempt++) {
      const triedAtExit = isExiting();
      // The first attempt has the whole timeout; a retry, what is left of it.
      const response = await this.attempt(
        data,
        attempt === 1 ? timeoutMillis : Math.max(deadline - Date.now(), 1),
        delivery,
      );
      if (response.status !== 'retryable') return response;
      const delay = response.retryInMillis ?? Math.min(backoff * (1 + (Math.random() * 0.4 - 0.2)), MAX_BACKOFF_MILLIS);
      backoff *= BACKOFF_MULTIPLIER;
      if (!this.mayRetry(attempt, delay, deadline, triedAtExit)) {
        const failure = errorFailure(response.error);
        const cause = attempt > 1 ? `${failure.cause}, after ${attempt} attempts` : failure.cause;
        return { status: 'failure', error: new SendError({ ...failure, cause }) };
      }
      // Once the process starts ending, a retry that waits for its turn tries once more at once.
      if (!isExiting()) await Promise.race([unrefDelay(delay), exitBeginning()]);
    }
  }

  /**
   * Retries are for a collector that has taken telemetry before (a passing failure): one that never has is most
   * likely absent or misconfigured, and its line is said at once. Within the export's timeout, and once more when the
   * process starts ending (the exit bound limits that one).
   */
  private mayRetry(attempt: number, delay: number, deadline: number, triedAtExit: boolean): boolean {
    if (attempt >= MAX_ATTEMPTS || !this.collector.everAccepted) return false;
    return isExiting() ? !triedAtExit : Date.now() + delay < deadline;
  }

  shutdown(): void {}

  private async attempt(data: Uint8Array, timeoutMillis: number, delivery: Delivery): Promise<ExportResponse> {
    try {
      const { agent, request } = await this.load();
      const headers: Record<string, string> = { ...(await this.parameters.headers()) };
      headers['User-Agent'] = this.parameters.userAgent
        ? `${this.parameters.userAgent} ${USER_AGENT}`
        : `${USER_AGENT} OTel-OTLP-Exporter-JavaScript`;
      const body = await compressed(data, this.parameters.compression);
      if (this.parameters.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
      headers['Content-Length'] = String(body.byteLength);
      const ended = this.collector.attempt();
      return await new Promise<ExportResponse>((settle) => {
        let answered = false;
        const resolve = (response: ExportResponse) => {
          answered = true;
          ended();
          delivery.written = false;
          settle(response);
        };
        const req = request(new URL(this.parameters.url), { method: 'POST', headers, agent });
        // The socket never holds the process (also a pooled one, which the agent ref's again when it is reused).
        req.on('socket', (socket) => socket.unref());
        req.setTimeout(timeoutMillis, () => {
          req.destroy();
          resolve({ status: 'retryable', error: new SendError({ cause: `no answer within ${timeoutMillis} ms` }) });
        });
        req.on('error', (error: Error & { code?: string }) => {
          const retryable = typeof error.code === 'string' && RETRYABLE_NETWORK_CODES.has(error.code);
          resolve(retryable ? { status: 'retryable', error } : { status: 'failure', error });
        });
        req.on('response', (res: IncomingMessage) => this.read(res, resolve));
        // The whole request is with the system: it is delivered even if the process ends now.
        req.on('finish', () => (delivery.written = !answered));
        req.end(body);
      });
    } catch (error) {
      return { status: 'failure', error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  private read(res: IncomingMessage, resolve: (response: ExportResponse) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy();
        resolve({ status: 'failure', error: new SendError({ cause: 'the response was larger than 4 MB' }) });
      } else chunks.push(chunk);
    });
    res.on('error', (error) => resolve({ status: 'retryable', error }));
    res.on('end', () => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve({ status: 'success', data: Buffer.concat(chunks) });
      else {
        const error = new SendError(httpFailure(status, res.statusMessage));
        if (RETRYABLE_STATUS.has(status))
          resolve({ status: 'retryable', error, retryInMillis: retryAfterMillis(res.headers['retry-after']) });
        else resolve({ status: 'failure', error });
      }
    });
  }

  private async load() {
    if (this.utils === undefined) {
      const protocol = new URL(this.parameters.url).protocol;
      const agent = await this.parameters.agentFactory(protocol);
      const { request } = (protocol === 'https:' ? require('node:https') : require('node:http')) as {
        request: (url: URL, options: RequestOptions) => ClientRequest;
      };
      this.utils = { agent, request };
    }
    return this.utils;
  }
}

/**
 * Puts our transport into an upstream OTLP/HTTP exporter, in place of its retrying HTTP transport. False when the
 * exporter does not have the shape this was written for (then it keeps upstream's, and a test fails).
 */
export function useUnrefTransport(exporter: unknown, collector: Collector): boolean {
  const delegate = (exporter as UpstreamExporter)._delegate;
  const parameters = delegate?._transport?._transport?._parameters;
  if (delegate?._transport === undefined || typeof parameters?.agentFactory !== 'function') return false;
  (delegate as { _transport: unknown })._transport = new UnrefHttpTransport(parameters, collector);
  return true;
}
