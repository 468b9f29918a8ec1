/**
 * One MCP operation (a request or notification, sent or received): the record that owns its span, its duration
 * metric and its single ending. Everything set on it goes to the span and, for the allowed keys, to the metric's
 * attributes; metrics do not depend on sampling, so the attributes are kept here, never read back from the span.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Histogram, Link, LogRecord, Span, Tracer } from '@opentelemetry/api';
import { cappedValue } from './caps';
import type { ContentCapture } from './content';
import { methodRule } from './methods';
import type { MethodRule } from './methods';
import type { McpHistograms, Side } from './metrics';
import { borrowedServerSpan, outerToolSpan } from './foreign-spans';
import { processSet, processValues } from './state';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from './semconv';
import type { JsonRpcError } from './sdk-internals';
import {
  asException,
  errorCodeOutcome,
  exceptionErrorType,
  exceptionMessage,
  httpRefusalStatus,
  isCallerFault,
} from './status';

/**
 * What the wrappers ask of the instrumentation that installed them, read at each message: its switches (resolved once)
 * and its tracer and histograms (as they are now: a provider set later replaces them).
 */
export interface Controller {
  readonly enabled: boolean;
  /** enduser.id and enduser.scope on SERVER spans (on unless switched off). */
  readonly captureEndUser: boolean;
  /** The peer's self-reported name and version on spans and the client's metrics (attributes.ts; on unless off). */
  readonly capturePeerIdentity: boolean;
  /** Tool arguments and results, prompt variables (content.ts): only when switched on. */
  readonly content: ContentCapture | undefined;
  /** The byte sizes of tool arguments and results and of read resources' contents (content-size.ts): when on. */
  readonly captureContentSizes: boolean;
  /** An agent's own `execute_tool` span of the tool called takes the CLIENT operation (foreign-spans.ts). */
  readonly enrichToolSpans: boolean;
  /** `merge`: a server's own MCP SERVER span takes the operation (self-traced.ts). */
  readonly mergeSelfTraced: boolean;
  /** The instrumentation's tracer and histograms, replaced when it is given another provider. */
  readonly tracer: Tracer;
  readonly histograms: McpHistograms | undefined;
  /** The operation metrics' attribute keys of each side, and the name(s) of a JSON-RPC code: resolved once. */
  readonly metricKeys: Readonly<Record<Side, readonly string[]>>;
  readonly statusCodeKeys: readonly string[];
  /** The methods that get no span (OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS). */
  readonly excluded: ReadonlySet<string>;
  recordSession(side: Side, seconds: number, attributes: Attributes): void;
  emitLog(record: LogRecord | undefined): void;
}

export type OperationKind = 'request' | 'notification';

/** What an operation starts from: the message's facts, the attributes built for it, where its span goes. */
export interface OperationStart {
  side: Side;
  kind: OperationKind;
  method: string;
  /** The method's row of the table (methods.ts), when the caller has it already. */
  rule?: MethodRule;
  /** The span name (methods.ts spanName). */
  name: string;
  /** The attributes the span starts with; this object is kept and added to (the caller hands it over). */
  attributes: Attributes;
  parent: Context;
  links?: Link[];
  /** When it began (performance.now()), for an operation recorded after the fact; now by default. */
  startedAt?: number;
  /** A sent v2 request: the context it was sent from (a retry after `input_required` is sent from it again). */
  sentFrom?: Context;
}

/**
 * Whose span an operation records into: a span of ours, started here and ended by the operation; an agent's own
 * `execute_tool` span of the tool called (the MCP conventions ask the client to add to it rather than nest a CLIENT
 * span); or the MCP SERVER span a server that traces itself already made for this message. The last two belong to
 * another tracer: the operation adds to them, their owner ends them.
 */
export type SpanChoice =
  | { readonly owner: 'ours'; readonly span: Span }
  | { readonly owner: 'agent tool span' | 'self-traced server'; readonly span: Span };

/** The span of a new operation (see SpanChoice); the attributes go on a borrowed span at once. */
export function chooseSpan(ctl: Controller, start: OperationStart): SpanChoice {
  const { side, method, attributes, parent } = start;
  if (side === 'client') {
    // Only a recording span of the parent context can be an agent's tool span (foreign-spans.ts).
    const outer =
      ctl.enrichToolSpans && method === 'tools/call' && trace.getSpan(parent)?.isRecording()
        ? outerToolSpan(parent, method, attributes)
        : undefined;
    if (outer) {
      outer.setAttributes(attributes);
      return { owner: 'agent tool span', span: outer };
    }
  } else if (ctl.mergeSelfTraced) {
    // Only a recording span active at receipt can be a self-traced server's (none over stdio: the receipt is ROOT).
    const active = trace.getSpan(context.active());
    const borrowed = active?.isRecording() ? borrowedServerSpan(active, method) : undefined;
    if (borrowed) {
      borrowed.setAttributes(attributes);
      return { owner: 'self-traced server', span: borrowed };
    }
  }
  const kind = side === 'client' ? SpanKind.CLIENT : SpanKind.SERVER;
  // An operation recorded after the fact (an answer a v2 entry gave itself) starts when its message arrived.
  const startTime = start.startedAt === undefined ? undefined : performance.timeOrigin + start.startedAt;
  const span = ctl.tracer.startSpan(start.name, { kind, attributes, links: start.links, startTime }, parent);
  return { owner: 'ours', span };
}

/** Starts an operation: its span (chooseSpan) and, when it ends, its duration metric. */
export function startOperation(ctl: Controller, start: OperationStart): Operation {
  const choice = chooseSpan(ctl, start);
  const operation = new Operation(start, choice, ctl);
  // A self-traced server may make its own SERVER span of this message later: kept open to fold it in (no copies).
  if (trackingOpen.on && start.side === 'server' && choice.owner === 'ours' && ctl.mergeSelfTraced) {
    operation.keepOpen({ parentSpanId: trace.getSpanContext(start.parent)?.spanId, links: start.links });
    openServerOperations.add(operation);
  }
  return operation;
}

/**
 * Our open SERVER operations, while a SelfTracedSpanProcessor exists (self-traced.ts): a foreign MCP SERVER span made
 * while one is open is folded into it. Process-wide, like the patches.
 */
export const openServerOperations = processSet<Operation>('operation.openServerOperations');
const trackingOpen = processValues('operation.trackingOpen', () => ({ on: false }));

/** self-traced.ts: keep open SERVER operations from now on. */
export function trackOpenServerOperations(): void {
  trackingOpen.on = true;
}

export class Operation {
  readonly side: Side;
  readonly kind: OperationKind;
  readonly method: string;
  /** The real span, for contexts. */
  readonly span: Span;
  /** The attributes the span started with, kept and added to: the metric's attributes are picked from them. */
  readonly attributes: Attributes;
  /** What is particular to the operation's method (methods.ts), looked up once. */
  readonly rule: MethodRule;
  readonly started: number;
  /** A sent v2 request: the context it was sent from (a v2 retry after `input_required` is sent from it again). */
  readonly sentFrom: Context | undefined;
  private ended = false;
  /** False for a span another tracer owns (SpanChoice): we add to it, it ends it. */
  private readonly ownsSpan: boolean;
  /**
   * Its span was given its start time (performance.timeOrigin + startedAt): it is given its end time on the same
   * clock, or the SDK takes Date.now(), which can be up to a millisecond behind, and a short span would end before it
   * began (the SDK then warns, on stderr).
   */
  private readonly endsOnItsClock: boolean;
  private readonly histogram: Histogram | undefined;
  private readonly metricKeys: readonly string[];
  /** The name(s) of a JSON-RPC error code (rpc-semconv.ts), resolved once by the instrumentation. */
  private readonly statusCodeKeys: readonly string[];
  private error: JsonRpcError | undefined;
  private thrownMessage: string | undefined;
  private callerFault: number | undefined;
  private endingTaken = false;
  private related: RelatedSpans | undefined;

  constructor(
    start: OperationStart,
    choice: SpanChoice,
    ctl: Pick<Controller, 'histograms' | 'metricKeys' | 'statusCodeKeys'>,
  ) {
    this.side = start.side;
    this.kind = start.kind;
    this.method = start.method;
    this.span = choice.span;
    this.attributes = start.attributes;
    this.rule = start.rule ?? methodRule(start.method);
    this.started = start.startedAt ?? performance.now();
    this.endsOnItsClock = start.startedAt !== undefined;
    this.sentFrom = start.sentFrom;
    this.ownsSpan = choice.owner === 'ours';
    this.histogram = ctl.histograms?.operation[start.side];
    this.metricKeys = ctl.metricKeys[start.side];
    this.statusCodeKeys = ctl.statusCodeKeys;
  }

  /** A sent request: the error response the peer answered with, if any (seen in `_onresponse`, before the promise). */
  get responseError(): JsonRpcError | undefined {
    return this.error;
  }

  noteResponseError(error: JsonRpcError): void {
    this.error = error;
  }

  /** A received request: the message of the first exception a handler threw, the description of a tool_error. */
  get exceptionMessage(): string | undefined {
    return this.thrownMessage;
  }

  /**
   * A received request: the code of the first caller-fault error thrown while it was handled (an McpServer's input
   * validation, a tool that refused its arguments), which makes an `isError` result the caller's fault.
   */
  get callerFaultCode(): number | undefined {
    return this.callerFault;
  }

  /** A received notification: a handler of ours takes over its ending; false when one already did, or it ended. */
  takeOverEnding(): boolean {
    if (this.endingTaken || this.ended) return false;
    this.endingTaken = true;
    return true;
  }

  /** Whether a handler of ours took over the ending (a received notification). */
  get endingTakenOver(): boolean {
    return this.endingTaken;
  }

  /** A SERVER operation kept by self-traced.ts: the spans a foreign span of the same message would be related to. */
  get relatedSpans(): RelatedSpans | undefined {
    return this.related;
  }

  /** startOperation: kept in openServerOperations while it is open, with the spans it is related to. */
  keepOpen(related: RelatedSpans): void {
    this.related = related;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  setAttribute(key: string, value: AttributeValue): void {
    if (this.ended) return;
    this.span.setAttribute(key, value);
    this.attributes[key] = value;
  }

  /** `error.type` and an error status. */
  fail(errorType: string, description?: string): void {
    if (this.ended) return;
    this.setAttribute(ATTR_ERROR_TYPE, errorType);
    this.span.setStatus(
      description === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: description },
    );
  }

  /** A JSON-RPC error code, under the name(s) OTEL_SEMCONV_STABILITY_OPT_IN chose (rpc-semconv.ts). */
  setStatusCode(code: string): void {
    for (const key of this.statusCodeKeys) this.setAttribute(key, code);
  }

  /** A JSON-RPC error code, by the rules of status.ts for this side; the message (the peer's) is bounded. */
  failWithCode(code: unknown, message: unknown): void {
    const { statusCode, errorType } = errorCodeOutcome(code, this.side);
    if (statusCode !== undefined) this.setStatusCode(statusCode);
    if (errorType !== undefined) this.fail(errorType, typeof message === 'string' ? cappedValue(message) : undefined);
  }

  /**
   * An exception a handler threw, recorded once per operation; the status comes later, from the response. A caller
   * fault (an McpError with such a code) is a protocol answer, not a failure: its code is kept, not recorded.
   */
  noteException(err: unknown): void {
    if (this.ended) return;
    if (isCallerFault(err)) {
      this.callerFault ??= (err as { code: number }).code;
      return;
    }
    if (this.thrownMessage !== undefined) return;
    this.span.recordException(asException(err));
    this.thrownMessage = exceptionMessage(err) ?? '';
  }

  /**
   * Ends the operation by an exception: recorded, the status from its message, `error.type` from its class; but a
   * message this side sent that HTTP refused before any JSON-RPC answer has the status code as `error.type`, as HTTP's
   * conventions have it, and as `http.response.status_code` (on the span only: the metric has it in `error.type`).
   */
  endWithException(err: unknown): void {
    if (this.ended) return;
    this.span.recordException(asException(err));
    const httpStatus = this.side === 'client' ? httpRefusalStatus(err) : undefined;
    if (httpStatus !== undefined) this.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, httpStatus);
    this.fail(httpStatus === undefined ? exceptionErrorType(err) : String(httpStatus), exceptionMessage(err));
    this.end();
  }

  /** The one ending: the span ends and the duration is recorded, once, whichever path comes first. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.ownsSpan) this.span.end(this.endsOnItsClock ? performance.timeOrigin + performance.now() : undefined);
    this.histogram?.record(
      (performance.now() - this.started) / 1000,
      metricAttributes(this.attributes, this.metricKeys),
    );
    if (this.related !== undefined) openServerOperations.delete(this);
  }
}

/** A SERVER operation's parent span id and links, kept while it is open (self-traced.ts). */
export interface RelatedSpans {
  parentSpanId?: string;
  links?: Link[];
}

/** The attributes of the operation's metric point: the allowed keys that the operation has. */
function metricAttributes(attributes: Attributes, keys: readonly string[]): Attributes {
  const picked: Attributes = {};
  for (const key of keys) {
    const value = attributes[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}
