/**
 * The shapes `mcp-otel view` and `mcp-otel tail` work with: what the OTLP decoder makes of an export request, what the
 * store keeps and what the page's JSON API answers. A leaf module: every other file of src/view imports it, it imports
 * nothing.
 *
 * Times are milliseconds since the epoch as doubles (microsecond precision, which is all the SDKs' clocks give);
 * ids are lowercase hex. Attribute values are plain JSON values (OTLP AnyValue flattened: int64 as a number, or as a
 * decimal string when it does not fit a double exactly; bytes as base64; kvlist as an object).
 */

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

/** What a resource and scope say of where an item came from. */
export interface Origin {
  /** service.name of the resource, or `unknown_service` when the resource has none. */
  service: string;
  resource: Attributes;
  scope: string;
}

export interface SpanEvent {
  name: string;
  timeMs: number;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

/** OTLP span kinds (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
export type SpanKind = 0 | 1 | 2 | 3 | 4 | 5;
/** OTLP status codes: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;

export interface SpanRecord extends Origin {
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  status: { code: StatusCode; message?: string };
}

export interface LogRecord extends Origin {
  timeMs: number;
  traceId?: string;
  spanId?: string;
  severityNumber: number;
  severityText?: string;
  body: AttributeValue;
  attributes: Attributes;
}

/** One histogram data point (explicit buckets). Other metric types are counted and not kept. */
export interface HistogramPoint extends Origin {
  metric: string;
  unit: string;
  /** 1 delta, 2 cumulative (OTLP AggregationTemporality). */
  temporality: 1 | 2;
  attributes: Attributes;
  startMs: number;
  timeMs: number;
  count: number;
  sum: number;
  /** Upper bounds, as sent; bucketCounts has one more entry than bounds. */
  bounds: number[];
  bucketCounts: number[];
}

/** A decoded export request, whatever its encoding. */
export type ExportBatch = (
  | { signal: 'traces'; spans: SpanRecord[] }
  | { signal: 'logs'; logs: LogRecord[] }
  | { signal: 'metrics'; points: HistogramPoint[]; otherPoints: number }
) & {
  /** How many values the decoder cut (strings past their bound) or dropped (attributes past its list's bound). */
  truncatedValues?: number;
};

/**
 * What an MCP span's outcome was, as the page and `tail` show it, from the attributes the preload records (README,
 * "Errors"): a `tools/call` whose result has isError is a tool error; a JSON-RPC error the caller caused (-32700,
 * -32600, -32601, -32602, -32002, -32020..-32022) is a caller fault, on both sides; any other error.type or an ERROR
 * status is an error; mcp.result.type `input_required` is input required; everything else is ok.
 */
export const OUTCOMES = ['ok', 'tool_error', 'caller_fault', 'error', 'input_required'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One MCP span (a span with mcp.method.name) as the list of operations shows it. */
export interface Operation {
  /** The store's row id: newer operations have larger ids. */
  id: number;
  traceId: string;
  spanId: string;
  service: string;
  kind: SpanKind;
  /** mcp.method.name */
  method: string;
  /** gen_ai.tool.name, gen_ai.prompt.name or mcp.resource.uri, when the method has one. */
  target?: string;
  name: string;
  startMs: number;
  durationMs: number;
  outcome: Outcome;
  errorType?: string;
  statusMessage?: string;
  /** The session this operation belongs to (see sessionKey in operations.ts). */
  session: string;
}

/** Per tool (or per server) figures, from the duration histograms. */
export interface StatsRow {
  service: string;
  /** 'server' from mcp.server.operation.duration, 'client' from mcp.client.operation.duration. */
  side: 'server' | 'client';
  /** 'tools/call' on a per-tool row; '' on a per-server row, which counts every method. */
  method: string;
  /** On a client's row, the server it called (the points' mcp.server.name), when they name it. */
  server?: string;
  /** The tool's name; absent on a per-server row. */
  tool?: string;
  count: number;
  errors: number;
  /** errors / count, 0..1. */
  errorRate: number;
  /** Milliseconds, interpolated within the histogram's buckets; absent when count is 0. */
  p50?: number;
  p95?: number;
  p99?: number;
  /** The merged buckets, for the page's small chart: upper bounds in milliseconds, and counts. */
  boundsMs: number[];
  bucketCounts: number[];
}

export interface StoreCounts {
  spans: number;
  logs: number;
  points: number;
}

/** The store's caps when the command line sets none (`mcp-otel view --max-spans` and the others). */
export const DEFAULT_CAPS: StoreCounts = { spans: 100_000, logs: 100_000, points: 10_000 };

/** What the store holds, what it has dropped (oldest first, at the caps) and its caps. */
export interface StoreStatus {
  kept: StoreCounts;
  dropped: StoreCounts;
  caps: StoreCounts;
  /**
   * Export requests refused (malformed, too large, of another content type or encoding), and metric points of types
   * other than explicit histograms (counted, not kept).
   */
  rejectedRequests: number;
  otherPoints: number;
}

export interface OperationFilter {
  service?: string;
  method?: string;
  tool?: string;
  outcome?: Outcome;
  /** Case-insensitive text matched against method, target, name, service, error type and status message. */
  text?: string;
  session?: string;
  traceId?: string;
  /** Only operations with a smaller id (paging back). */
  beforeId?: number;
  /** Only operations with a larger id (live updates). */
  afterId?: number;
  limit?: number;
}

/**
 * The page's JSON API (served by src/view/web.ts on the view port; every answer is application/json):
 *   GET /api/status                       StoreStatus
 *   GET /api/operations?service=&method=&tool=&outcome=&q=&session=&before=&after=&limit=
 *                                         OperationsAnswer, newest first (limit 200 by default, at most 1000)
 *   GET /api/trace/:traceId               TraceAnswer (404 when the store has no span of it)
 *   GET /api/session/:session             OperationsAnswer of that session, by start time
 *   GET /api/stats                        StatsAnswer
 *   GET /api/events                       text/event-stream: `event: changed` with StoreStatus as data, at most 4 a
 *                                         second, whenever something was stored
 */
export interface OperationsAnswer {
  operations: Operation[];
  /** The values the filters can take, from what is stored. */
  facets: { services: string[]; methods: string[]; tools: string[]; outcomes: Outcome[] };
  status: StoreStatus;
}

export interface TraceAnswer {
  traceId: string;
  /** Every stored span of the trace, by start time. */
  spans: SpanRecord[];
  /** The log records that carry this trace id, by time. */
  logs: LogRecord[];
  /**
   * Present when the trace has more spans or logs than one answer carries (the first ones by time are sent): how many
   * the store holds of each.
   */
  truncated?: { spans: number; logs: number };
}

export interface StatsAnswer {
  tools: StatsRow[];
  servers: StatsRow[];
}

/** What the page's API reads (src/view/store.ts implements it). */
export interface StoreReader {
  status(): StoreStatus;
  operations(filter: OperationFilter): Operation[];
  /** A session's operations by start time, the first first. */
  sessionOperations(session: string, limit?: number): Operation[];
  facets(): OperationsAnswer['facets'];
  trace(traceId: string): TraceAnswer | undefined;
  stats(): StatsAnswer;
  /** Called after each stored batch; returns the function that stops the calls. */
  onChange(listener: () => void): () => void;
}

/** What the receiver hands a decoded batch to; the store (view) or the trace printer (tail). */
export type BatchSink = (batch: ExportBatch) => void;
