/**
 * One MCP operation (a request or notification, sent or received): the record that owns its span, its duration
 * metric and its single ending. Everything set on it goes to the span and, for the allowed keys, to the metric's
 * attributes; metrics do not depend on sampling, so the attributes are kept here, never read back from the span.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Histogram, Link, LogRecord, Span } from '@opentelemetry/api';
import { cappedValue } from './caps';
import type { ContentCapture } from './content';
import { methodRule } from './methods';
import type { MethodRule } from './methods';
import { pick, secondsSince } from './metrics';
import type { Side } from './metrics';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_RPC_RESPONSE_STATUS_CODE } from './semconv';
import type { JsonRpcError } from './sdk-internals';
import {
  asException,
  errorCodeOutcome,
  exceptionErrorType,
  exceptionMessage,
  httpRefusalStatus,
  isCallerFault,
} from './status';

/** What the wrappers ask of the instrumentation that installed them, read at each message. */
export interface Controller {
  readonly enabled: boolean;
  /** enduser.id and enduser.scope on SERVER spans (on unless switched off). */
  readonly captureEndUser: boolean;
  /** The peer's self-reported name and version on spans and the client's metrics (peer.ts; on unless switched off). */
  readonly capturePeerIdentity: boolean;
  /** Tool arguments and results, prompt variables (content.ts): only when switched on. */
  readonly content: ContentCapture | undefined;
  /** The byte sizes of tool arguments and results and of read resources' contents (content-size.ts): when on. */
  readonly captureContentSizes: boolean;
  isExcluded(method: string): boolean;
  /** Starts an operation: its span (CLIENT for the sender, SERVER for the receiver) and its duration metric. */
  start(
    side: Side,
    kind: OperationKind,
    method: string,
    name: string,
    attributes: Attributes,
    parent: Context,
    links?: Link[],
    /** When it began (performance.now()), for an operation recorded after the fact; now by default. */
    startedAt?: number,
  ): Operation;
  recordSession(side: Side, seconds: number, attributes: Attributes): void;
  emitLog(record: LogRecord | undefined): void;
}

export type OperationKind = 'request' | 'notification';

export class Operation {
  readonly started: number;
  private ended = false;
  /**
   * Its span was given its start time (performance.timeOrigin + startedAt): it is given its end time on the same
   * clock, or the SDK takes Date.now(), which can be up to a millisecond behind, and a short span would end before it
   * began (the SDK then warns, on stderr).
   */
  private readonly endsOnItsClock: boolean;
  /** A sent request: the error response the peer answered with, if any (seen in `_onresponse`, before the promise). */
  responseError?: JsonRpcError;
  /** A sent request: the context it was sent from (a v2 retry after `input_required` is sent from it again). */
  parentContext?: Context;
  /** A received request: the message of the first exception a handler threw, the description of a tool_error. */
  exceptionMessage?: string;
  /**
   * A received request: the code of the first caller-fault error thrown while it was handled (an McpServer's input
   * validation, a tool that refused its arguments), which makes an `isError` result the caller's fault.
   */
  callerFaultCode?: number;
  /** A received notification: a handler of ours took over the ending. */
  handlerStarted = false;
  /** What is particular to the operation's method (methods.ts), looked up once. */
  readonly rule: MethodRule;
  /** Called once when the operation ends (self-traced.ts keeps open SERVER operations). */
  onEnd?: (operation: Operation) => void;
  /** A SERVER operation kept by self-traced.ts: the spans a foreign span of the same message would be related to. */
  related?: { parentSpanId?: string; links?: Link[] };

  constructor(
    readonly side: Side,
    readonly kind: OperationKind,
    readonly method: string,
    /** The real span, for contexts. */
    readonly span: Span,
    /** The attributes the span started with; this object is kept and added to (the caller hands it over). */
    readonly attributes: Attributes,
    private readonly histogram: Histogram | undefined,
    private readonly metricKeys: readonly string[],
    /** False for a span another instrumentation owns (a server that traces itself): we add to it, it ends it. */
    private readonly ownsSpan = true,
    /** When it began (performance.now()), for an operation recorded after the fact; now by default. */
    startedAt?: number,
    /** The name(s) of a JSON-RPC error code (rpc-semconv.ts), resolved once by the instrumentation. */
    private readonly statusCodeKeys: readonly string[] = [ATTR_RPC_RESPONSE_STATUS_CODE],
  ) {
    this.rule = methodRule(method);
    this.started = startedAt ?? performance.now();
    this.endsOnItsClock = startedAt !== undefined;
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
      this.callerFaultCode ??= (err as { code: number }).code;
      return;
    }
    if (this.exceptionMessage !== undefined) return;
    this.span.recordException(asException(err));
    this.exceptionMessage = exceptionMessage(err) ?? '';
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
    this.histogram?.record(secondsSince(this.started), pick(this.attributes, this.metricKeys));
    this.onEnd?.(this);
  }
}
