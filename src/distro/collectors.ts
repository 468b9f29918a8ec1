/**
 * What the distribution knows and says about the collectors it exports to: one entry per endpoint (a URL's origin),
 * shared by the signals sent there.
 *
 * A user's first run is often without a collector, and a collector can go away and come back. So, per endpoint:
 * - one warning line when it stops taking telemetry (or never took any), naming the endpoint, the signals sent there
 *   and the cause; then nothing more while that lasts: what is dropped meanwhile is counted;
 * - one line when it takes telemetry again, with the counts of what was dropped;
 * - at exit, one line for what could not be sent then, for where, and why.
 * The details of each failure are at the debug level only. Header values are never written (they may hold secrets).
 *
 * Whether an endpoint has ever accepted anything also decides how long an exit waits for it (flush/process-hooks.ts):
 * one that was tried and never accepted is not waited for at all.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { Signal } from './config';
import { diagLevel, writeDiagLine } from './diag';

const UNITS: Record<Signal, readonly [string, string]> = {
  traces: ['span', 'spans'],
  metrics: ['metric export', 'metric exports'],
  logs: ['log record', 'log records'],
};
const SIGNAL_ORDER: readonly Signal[] = ['traces', 'metrics', 'logs'];
/** An attempt without an answer for this long counts as a try that failed, for whether an exit waits. */
const UNANSWERED_MILLIS = 1000;

type Counts = Record<Signal, number>;
const noCounts = (): Counts => ({ traces: 0, metrics: 0, logs: 0 });

/** `3 spans and 1 metric export`; empty when all counts are 0. */
export function describeCounts(counts: Counts): string {
  const parts = SIGNAL_ORDER.filter((s) => counts[s] > 0).map(
    (s) => `${counts[s]} ${UNITS[s][counts[s] === 1 ? 0 : 1]}`,
  );
  return parts.length < 2 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function listSignals(signals: Iterable<Signal>): string {
  const names = SIGNAL_ORDER.filter((s) => [...signals].includes(s));
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** What one sending attempt came to, as the transport (otlp-transport.ts) or an upstream exporter reports it. */
export interface SendFailure {
  /** For people: `connection refused`, `no answer within 2000 ms`, `HTTP 503 Service Unavailable`. */
  cause: string;
  /** What to check, when the cause suggests something. */
  hint?: string;
}

const NETWORK_CAUSES: Record<string, SendFailure> = {
  ECONNREFUSED: { cause: 'connection refused', hint: 'is an OTLP collector listening there?' },
  ENOTFOUND: { cause: 'host not found', hint: 'check the endpoint host name' },
  EAI_AGAIN: { cause: 'host name lookup failed', hint: 'check the endpoint host name' },
  ECONNRESET: { cause: 'connection reset' },
  EPIPE: { cause: 'connection closed while sending' },
  ETIMEDOUT: { cause: 'connection timed out' },
  ENETUNREACH: { cause: 'network unreachable' },
  EHOSTUNREACH: { cause: 'host unreachable' },
  EPROTO: { cause: 'TLS handshake failed', hint: 'is the endpoint https while the collector speaks http?' },
};

const HTTP_HINTS: Record<number, string> = {
  401: 'check the exporter headers (OTEL_EXPORTER_OTLP_HEADERS)',
  403: 'check the exporter headers (OTEL_EXPORTER_OTLP_HEADERS)',
  404: "check the endpoint's path: /v1/traces, /v1/metrics, /v1/logs are appended to OTEL_EXPORTER_OTLP_ENDPOINT",
  415: 'check OTEL_EXPORTER_OTLP_PROTOCOL',
};

/** The cause of an HTTP answer that is not a success. */
export function httpFailure(status: number, statusMessage: string | undefined): SendFailure {
  const cause = `HTTP ${status}${statusMessage ? ` ${statusMessage}` : ''}`;
  const hint = HTTP_HINTS[status];
  return hint === undefined ? { cause } : { cause, hint };
}

/** The cause of an error: a network error by its code, else its first line (never a stack). */
export function errorFailure(err: unknown): SendFailure {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NETWORK_CAUSES[code] !== undefined) return NETWORK_CAUSES[code];
  const failure = (err as { sendFailure?: SendFailure } | undefined)?.sendFailure;
  if (failure !== undefined) return failure;
  const message = err instanceof Error ? err.message : String(err);
  // Upstream's exporter refuses an export when 30 are already waiting for an answer.
  if (message === 'Concurrent export limit reached') return { cause: 'too many exports waiting for its answers' };
  // gRPC says it in its message: "14 UNAVAILABLE: No connection established. Last error: ... ECONNREFUSED ...".
  const named = /\b(E[A-Z]+)\b/.exec(message)?.[1];
  if (named !== undefined && NETWORK_CAUSES[named] !== undefined) return NETWORK_CAUSES[named];
  const line = message.split('\n')[0]!.slice(0, 200);
  return { cause: typeof code === 'string' ? `${line} (${code})` : line || 'unknown error' };
}

/** One collector endpoint, shared by the signals exported there. */
export class Collector {
  /** untried: nothing sent yet; up: the last delivery succeeded; down: the last one failed. */
  state: 'untried' | 'up' | 'down' = 'untried';
  everAccepted = false;
  failure: SendFailure | undefined;
  readonly signals = new Set<Signal>();
  /** Dropped since the last line about this endpoint (while it is down). */
  private droppedWhileDown = noCounts();
  /** Not sent at exit. */
  private notSentAtExit = noCounts();
  private exitFailure: SendFailure | undefined;
  /** The line that it cannot be reached was said (and with it the hint). */
  private saidDown = false;

  /** The attempts under way, by their start time. */
  private readonly underWay = new Set<{ since: number }>();

  constructor(readonly endpoint: string) {}

  /**
   * Tried and never accepted anything: an exit does not wait for it. Tried means an attempt failed, or has had no
   * answer for UNANSWERED_MILLIS (a collector that answers at all answers its first request well within that; one
   * whose first export is still under way when the process ends is waited for).
   */
  get neverAccepted(): boolean {
    if (this.everAccepted) return false;
    if (this.state === 'down') return true;
    const now = Date.now();
    for (const attempt of this.underWay) if (now - attempt.since >= UNANSWERED_MILLIS) return true;
    return false;
  }

  /** An attempt to send starts; call the function returned when it has its answer (or none). */
  attempt(): () => void {
    const attempt = { since: Date.now() };
    this.underWay.add(attempt);
    return () => this.underWay.delete(attempt);
  }

  accepted(): void {
    if (this.state === 'down' && !exiting) {
      const dropped = describeCounts(this.droppedWhileDown);
      report(
        'info',
        `${this.endpoint} takes telemetry again` + (dropped ? `; dropped while it did not: ${dropped}` : ''),
      );
    }
    this.droppedWhileDown = noCounts();
    this.state = 'up';
    this.everAccepted = true;
  }

  /** An export of `count` items of `signal` failed for good (after its retries). */
  failed(signal: Signal, failure: SendFailure, count: number): void {
    diag.debug(`export of ${count} ${UNITS[signal][1]} to ${this.endpoint} failed: ${failure.cause}`);
    if (exiting) {
      this.notSentAtExit[signal] += count;
      this.exitFailure = failure;
    } else {
      this.droppedWhileDown[signal] += count;
      if (this.state !== 'down') {
        this.saidDown = true;
        report(
          'warn',
          `cannot send ${listSignals(this.signals)} to ${this.endpoint}: ${failure.cause}` +
            (failure.hint && !this.everAccepted ? ` (${failure.hint})` : '') +
            '; dropping them until it answers, one line when it does',
        );
      }
    }
    this.state = 'down';
    this.failure = failure;
  }

  /** Counts items that the exit did not even try to send (the reason is the endpoint's last failure). */
  skippedAtExit(signal: Signal, count: number): void {
    this.notSentAtExit[signal] += count;
    this.exitFailure ??= this.failure ?? { cause: 'no answer to any request so far' };
  }

  /** Items still being sent when the exit's time ran out. */
  unfinishedAtExit(signal: Signal, count: number, boundMillis: number): void {
    this.notSentAtExit[signal] += count;
    this.exitFailure ??= { cause: `no answer within the exit bound of ${boundMillis} ms` };
  }

  /** The exit line, once: what was not sent at exit, and what had been dropped before. */
  reportExit(): void {
    const notSent = describeCounts(this.notSentAtExit);
    if (notSent !== '') {
      const failure = this.exitFailure ?? this.failure;
      const before = this.state === 'down' ? describeCounts(this.droppedWhileDown) : '';
      report(
        'warn',
        `at exit, ${notSent} could not be sent to ${this.endpoint}: ${failure?.cause ?? 'unknown cause'}` +
          (this.everAccepted || this.saidDown || !failure?.hint ? '' : ` (${failure.hint})`) +
          (before ? `; dropped before: ${before}` : ''),
      );
    }
    this.notSentAtExit = noCounts();
    this.droppedWhileDown = noCounts();
  }
}

/** Lines about collectors are the distribution's own: shown at the warn level and above, whatever upstream says. */
function report(level: 'warn' | 'info', message: string): void {
  if (diagLevel() >= DiagLogLevel.WARN) writeDiagLine(level, message);
}

const collectors = new Map<string, Collector>();
/** Set once the process is ending (the first flush for an exit): failures then count as not sent at exit. */
let exiting = false;

/** The endpoint of a URL: its origin (the signals' paths differ, the collector is the same). */
function endpointOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** The collector of `url`, registered as a destination of `signal`. */
export function collectorFor(url: string, signal: Signal): Collector {
  const endpoint = endpointOf(url);
  let collector = collectors.get(endpoint);
  if (collector === undefined) {
    collector = new Collector(endpoint);
    collectors.set(endpoint, collector);
  }
  collector.signals.add(signal);
  return collector;
}

let exitBegan: () => void = () => {};
let exitPromise: Promise<void> = new Promise((resolve) => (exitBegan = resolve));

/** Resolves when the process starts ending: retries waiting for their turn try once more at once, or give up. */
export function exitBeginning(): Promise<void> {
  return exitPromise;
}

export function beginExit(): void {
  exiting = true;
  exitBegan();
}

export function isExiting(): boolean {
  return exiting;
}

/** The exit lines of every collector. */
export function reportExit(): void {
  for (const collector of collectors.values()) collector.reportExit();
}

/** For tests in one process: forgets every collector and the exit. */
export function resetCollectors(): void {
  collectors.clear();
  exiting = false;
  exitPromise = new Promise((resolve) => (exitBegan = resolve));
}
