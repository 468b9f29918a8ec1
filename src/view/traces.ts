/**
 * Gathers received spans by trace and says when a trace is finished, so that `mcp-otel tail` prints each trace once.
 *
 * Spans come in batches, from several processes, each exporting on its own schedule (the SDK's batch processor waits up
 * to 5 s), so no one span says "this trace is over". The rules:
 * - complete: the trace has a root (a span without a parent) and every span's parent has arrived. A complete trace
 *   is finished once nothing new came for it for `quietMs`.
 * - not complete (a parent that never comes: a caller that is not traced but passed a trace context, a process that
 *   died): finished once nothing new came for it for `waitMs`, and marked.
 * - a trace that keeps receiving spans (a long agent session) is printed `maxAgeMs` after its first span, marked;
 *   what comes later for it is gathered again and printed as its continuation, marked too.
 * - memory is bounded: at most `maxTraces` open traces and `maxSpans` open spans; past either, the traces that
 *   started first are printed first, marked. The ids of printed traces are remembered (the last `rememberedTraces`)
 *   only to mark continuations.
 * The clock is the caller's (`now` in milliseconds), so that the rules are tested without waiting.
 */
import type { SpanRecord } from './model';

export interface TraceCollectorOptions {
  quietMs?: number;
  waitMs?: number;
  maxAgeMs?: number;
  maxTraces?: number;
  maxSpans?: number;
  rememberedTraces?: number;
}

/** A trace to print: its spans, and why it is printed before it is known to be complete, if it is. */
export interface FinishedTrace {
  traceId: string;
  spans: SpanRecord[];
  /** Absent for a complete trace; otherwise a short reason, e.g. `incomplete: 2 spans' parents not received`. */
  note?: string;
  /** Part of this trace was printed before. */
  continued: boolean;
}

interface OpenTrace {
  traceId: string;
  spans: SpanRecord[];
  spanIds: Set<string>;
  firstArrivalMs: number;
  lastArrivalMs: number;
}

export const TRACE_DEFAULTS = {
  quietMs: 1_000,
  waitMs: 10_000,
  maxAgeMs: 60_000,
  maxTraces: 1_000,
  maxSpans: 100_000,
  rememberedTraces: 10_000,
} as const satisfies Required<TraceCollectorOptions>;

export class TraceCollector {
  private readonly settings: Required<TraceCollectorOptions>;
  /** Open traces in the order their first span arrived (a Map keeps insertion order): the oldest is first. */
  private readonly open = new Map<string, OpenTrace>();
  private openSpans = 0;
  /** Printed trace ids, oldest first, to mark what comes after them as a continuation. */
  private readonly printed = new Set<string>();

  constructor(options: TraceCollectorOptions = {}) {
    this.settings = { ...TRACE_DEFAULTS, ...options };
  }

  /** How many traces and spans are waiting. */
  get pending(): { traces: number; spans: number } {
    return { traces: this.open.size, spans: this.openSpans };
  }

  /** Takes a batch of spans; returns the traces pushed out by the caps (usually none). */
  add(spans: readonly SpanRecord[], nowMs: number): FinishedTrace[] {
    for (const span of spans) {
      let trace = this.open.get(span.traceId);
      if (!trace) {
        trace = { traceId: span.traceId, spans: [], spanIds: new Set(), firstArrivalMs: nowMs, lastArrivalMs: nowMs };
        this.open.set(span.traceId, trace);
      }
      trace.spans.push(span);
      trace.spanIds.add(span.spanId);
      trace.lastArrivalMs = nowMs;
      this.openSpans++;
    }
    const pushedOut: FinishedTrace[] = [];
    while (this.open.size > this.settings.maxTraces || this.openSpans > this.settings.maxSpans) {
      const oldest = this.open.values().next().value;
      if (!oldest) break;
      pushedOut.push(this.finish(oldest, 'printed early: too many open traces or spans'));
    }
    return pushedOut;
  }

  /** The traces finished at `nowMs`, by their first span's start time. */
  due(nowMs: number): FinishedTrace[] {
    const finished: FinishedTrace[] = [];
    for (const trace of [...this.open.values()]) {
      const quietFor = nowMs - trace.lastArrivalMs;
      const missing = this.missingOf(trace);
      if (missing === undefined && quietFor >= this.settings.quietMs) finished.push(this.finish(trace));
      else if (quietFor >= this.settings.waitMs) finished.push(this.finish(trace, missing));
      else if (nowMs - trace.firstArrivalMs >= this.settings.maxAgeMs) {
        const seconds = Math.round(this.settings.maxAgeMs / 1000);
        finished.push(this.finish(trace, `still open after ${seconds} s: what comes later prints as its continuation`));
      }
    }
    return finished.sort(byFirstStart);
  }

  /** Every open trace, complete or not (at exit). */
  flushAll(): FinishedTrace[] {
    return [...this.open.values()].map((trace) => this.finish(trace, this.missingOf(trace))).sort(byFirstStart);
  }

  /** What keeps a trace from being complete, or undefined when it is. A continuation's parents were printed before. */
  private missingOf(trace: OpenTrace): string | undefined {
    if (this.printed.has(trace.traceId)) return undefined;
    let orphans = 0;
    let roots = 0;
    for (const span of trace.spans) {
      if (span.parentSpanId === undefined) roots++;
      else if (!trace.spanIds.has(span.parentSpanId)) orphans++;
    }
    if (orphans > 0) return `incomplete: ${orphans} span${orphans === 1 ? "'s parent" : "s' parents"} not received`;
    if (roots === 0) return 'incomplete: no root span received';
    return undefined;
  }

  private finish(trace: OpenTrace, note?: string): FinishedTrace {
    this.open.delete(trace.traceId);
    this.openSpans -= trace.spans.length;
    const continued = this.printed.has(trace.traceId);
    this.printed.delete(trace.traceId);
    this.printed.add(trace.traceId);
    if (this.printed.size > this.settings.rememberedTraces) {
      const oldest = this.printed.values().next().value;
      if (oldest !== undefined) this.printed.delete(oldest);
    }
    const finished: FinishedTrace = { traceId: trace.traceId, spans: trace.spans, continued };
    if (note !== undefined) finished.note = note;
    return finished;
  }
}

const firstStart = (trace: FinishedTrace): number => trace.spans.reduce((min, s) => Math.min(min, s.startMs), Infinity);
const byFirstStart = (a: FinishedTrace, b: FinishedTrace): number => firstStart(a) - firstStart(b);
