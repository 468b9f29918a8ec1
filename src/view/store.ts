/**
 * The view's store: SQLite through Node's built-in node:sqlite (no native addon to build, nothing to install), in
 * memory by default or in a file with --db. Spans, log records and histogram series are each capped: past a cap the
 * oldest are dropped first and counted, so that a busy app can send to the view for days in flat memory.
 *
 * Spans and logs are kept as JSON records with the few columns the queries need beside them; the resource, which every
 * span of a process repeats, is kept once. An MCP span also gets a row in `operations` (operations.ts says what it
 * means), which the list, the filters and the session view read. Histograms are kept as series, one row per
 * (resource, metric, attributes, bucket bounds): a cumulative point replaces the row's figures, a delta point adds to
 * them.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { operationOf } from './operations';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SERVER_NAME,
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_SERVER_OPERATION_DURATION,
} from '../instrumentation/semconv';
import { DEFAULT_CAPS, OUTCOMES } from './model';
import type {
  Attributes,
  ExportBatch,
  HistogramPoint,
  LogRecord,
  Operation,
  OperationFilter,
  OperationsAnswer,
  Outcome,
  SpanRecord,
  StatsAnswer,
  StatsRow,
  StoreCounts,
  StoreReader,
  StoreStatus,
  TraceAnswer,
} from './model';

/** The list's default and largest page. */
export const DEFAULT_LIMIT = 200;
export const MAX_LIMIT = 1_000;
/** The most spans and logs one trace answer carries (the first by time); a larger trace says it was cut. */
export const MAX_TRACE_ITEMS = 10_000;
/** And the most bytes of records (resources counted with each span and log): a peer's values can be large. */
export const MAX_TRACE_BYTES = 32 * 1024 * 1024;
/** The most values each filter offers, the most recent first: a peer can make up any number of tool names. */
export const MAX_FACET_VALUES = 200;
/** Unreferenced resources are looked for after this many rows were dropped. */
const PRUNE_AFTER_DROPS = 10_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS resources (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, resource_id INTEGER NOT NULL,
  start_ms REAL NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans (trace_id);
CREATE TABLE IF NOT EXISTS operations (
  id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, service TEXT NOT NULL, kind INTEGER NOT NULL,
  method TEXT NOT NULL, target TEXT, name TEXT NOT NULL, start_ms REAL NOT NULL, duration_ms REAL NOT NULL,
  outcome TEXT NOT NULL, error_type TEXT, status_message TEXT, session TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS operations_by_session ON operations (session, start_ms);
CREATE INDEX IF NOT EXISTS operations_by_trace ON operations (trace_id);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY, trace_id TEXT, span_id TEXT, resource_id INTEGER NOT NULL, time_ms REAL NOT NULL,
  record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs (trace_id) WHERE trace_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, updated INTEGER NOT NULL, resource_id INTEGER NOT NULL,
  service TEXT NOT NULL,
  metric TEXT NOT NULL, unit TEXT NOT NULL, attributes TEXT NOT NULL, temporality INTEGER NOT NULL,
  start_ms REAL NOT NULL, time_ms REAL NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL, bounds TEXT NOT NULL,
  bucket_counts TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS series_by_update ON series (updated);
`;

/** The MCP duration histograms the per-tool figures come from, and the side each stands for. */
const DURATION_METRICS: Record<string, StatsRow['side']> = {
  [METRIC_MCP_SERVER_OPERATION_DURATION]: 'server',
  [METRIC_MCP_CLIENT_OPERATION_DURATION]: 'client',
};

/** The part of a span kept as JSON: everything but the columns and the resource. */
type StoredSpan = Omit<SpanRecord, 'resource' | 'traceId' | 'spanId'>;
type StoredLog = Omit<LogRecord, 'resource'>;

interface OperationRow {
  id: number;
  trace_id: string;
  span_id: string;
  service: string;
  kind: number;
  method: string;
  target: string | null;
  name: string;
  start_ms: number;
  duration_ms: number;
  outcome: string;
  error_type: string | null;
  status_message: string | null;
  session: string;
}

interface SeriesRow {
  service: string;
  metric: string;
  unit: string;
  attributes: string;
  count: number;
  sum: number;
  bounds: string;
  bucket_counts: string;
}

export interface StoreOptions {
  /** A file to keep the data in across restarts; in memory when absent. */
  file?: string;
  caps?: Partial<StoreCounts>;
}

/** Keys sorted, so that one attribute set makes one series key whatever order the sender used. */
function canonicalJson(attributes: Attributes): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(attributes)
        .sort()
        .map((k) => [k, attributes[k]]),
    ),
  );
}

function operationFromRow(row: OperationRow): Operation {
  const operation: Operation = {
    id: row.id,
    traceId: row.trace_id,
    spanId: row.span_id,
    service: row.service,
    kind: row.kind as Operation['kind'],
    method: row.method,
    name: row.name,
    startMs: row.start_ms,
    durationMs: row.duration_ms,
    outcome: row.outcome as Outcome,
    session: row.session,
  };
  if (row.target !== null) operation.target = row.target;
  if (row.error_type !== null) operation.errorType = row.error_type;
  if (row.status_message !== null) operation.statusMessage = row.status_message;
  return operation;
}

/** `%` and `_` are LIKE's wildcards: a search for them finds them. */
const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The q-quantile of a histogram, interpolated linearly within the bucket it falls in (as Prometheus's
 * histogram_quantile does); the overflow bucket, which has no upper bound, answers its lower bound.
 */
export function quantile(q: number, bounds: number[], counts: number[]): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (count > 0 && seen + count >= rank) {
      const lower = i === 0 ? Math.min(0, bounds[0] ?? 0) : (bounds[i - 1] ?? 0);
      if (i >= bounds.length) return lower;
      const upper = bounds[i] ?? lower;
      return lower + (upper - lower) * ((rank - seen) / count);
    }
    seen += count;
  }
  return bounds[bounds.length - 1];
}

/** What the points of one row of the stats share. */
interface Group {
  service: string;
  side: StatsRow['side'];
  server: string | undefined;
  method: string;
  tool?: string;
  /** From the histogram's unit to milliseconds. */
  toMs: number;
  bounds: number[];
}

interface Merged extends Group {
  count: number;
  errors: number;
  counts: number[];
}

/**
 * Adds a series' figures to its row. A series with other bucket bounds than the row's first is left out (the
 * preload's bounds are fixed, so this happens only with other senders).
 */
function addToGroup(rows: Map<string, Merged>, group: Group, count: number, errors: number, counts: number[]): void {
  const key = [group.service, group.side, group.server ?? '', group.tool ?? ''].join('\n');
  let merged = rows.get(key);
  if (merged === undefined) {
    merged = { ...group, count: 0, errors: 0, counts: counts.map(() => 0) };
    rows.set(key, merged);
  }
  if (merged.bounds.join(',') !== group.bounds.join(',')) return;
  merged.count += count;
  merged.errors += errors;
  counts.forEach((c, i) => {
    merged.counts[i] = (merged.counts[i] ?? 0) + c;
  });
}

function statsRow(merged: Merged): StatsRow {
  const { service, side, server, method, tool, count, errors, toMs, bounds, counts } = merged;
  const row: StatsRow = {
    service,
    side,
    method,
    count,
    errors,
    errorRate: count === 0 ? 0 : errors / count,
    boundsMs: bounds.map((b) => b * toMs),
    bucketCounts: counts,
  };
  if (server !== undefined) row.server = server;
  if (tool !== undefined) row.tool = tool;
  for (const [key, q] of [
    ['p50', 0.5],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const value = quantile(q, bounds, counts);
    if (value !== undefined) row[key] = value * toMs;
  }
  return row;
}

export class Store implements StoreReader {
  private readonly db: DatabaseSync;
  private readonly caps: StoreCounts;
  private readonly kept: StoreCounts = { spans: 0, logs: 0, points: 0 };
  private readonly dropped: StoreCounts = { spans: 0, logs: 0, points: 0 };
  private readonly firstId = { spans: 0, logs: 0 };
  private rejectedRequests = 0;
  private otherPoints = 0;
  private updates = 0;
  private readonly listeners = new Set<() => void>();
  private readonly resourceIds = new Map<string, number>();
  private readonly resources = new Map<number, Attributes>();
  /** The length of each resource's JSON: a trace answer counts it against its byte budget. */
  private readonly resourceSizes = new Map<number, number>();
  /** The decoder gives every item of a resource one object: its id is worked out once per object, not per item. */
  private resourceOfObject = new WeakMap<Attributes, number>();
  /** Rows dropped since unreferenced resources were last deleted. */
  private droppedSincePrune = 0;
  private facetCache: OperationsAnswer['facets'] | undefined;
  private readonly statements: Record<
    | 'insertSpan'
    | 'insertOperation'
    | 'insertLog'
    | 'insertResource'
    | 'findSeries'
    | 'insertSeries'
    | 'updateSeries'
    | 'setMeta'
    | 'dropSpans'
    | 'dropOperations'
    | 'dropLogs'
    | 'dropSeries'
    | 'pruneResources',
    StatementSync
  >;

  constructor(options: StoreOptions = {}) {
    this.db = new DatabaseSync(options.file ?? ':memory:');
    if (options.file !== undefined) {
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    }
    this.db.exec(SCHEMA);
    this.caps = { ...DEFAULT_CAPS, ...options.caps };
    this.statements = {
      insertSpan: this.db.prepare(
        'INSERT INTO spans (trace_id, span_id, resource_id, start_ms, record) VALUES (?, ?, ?, ?, ?)',
      ),
      insertOperation: this.db.prepare(
        `INSERT INTO operations (id, trace_id, span_id, service, kind, method, target, name, start_ms, duration_ms,
           outcome, error_type, status_message, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertLog: this.db.prepare(
        'INSERT INTO logs (trace_id, span_id, resource_id, time_ms, record) VALUES (?, ?, ?, ?, ?)',
      ),
      insertResource: this.db.prepare('INSERT INTO resources (json) VALUES (?)'),
      findSeries: this.db.prepare(
        'SELECT id, temporality, time_ms, count, sum, bounds, bucket_counts FROM series WHERE key = ?',
      ),
      insertSeries: this.db.prepare(
        `INSERT INTO series (key, updated, resource_id, service, metric, unit, attributes, temporality, start_ms,
           time_ms, count, sum, bounds, bucket_counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateSeries: this.db.prepare(
        'UPDATE series SET updated = ?, start_ms = ?, time_ms = ?, count = ?, sum = ?, bucket_counts = ? WHERE id = ?',
      ),
      dropSpans: this.db.prepare('DELETE FROM spans WHERE id < ?'),
      dropOperations: this.db.prepare('DELETE FROM operations WHERE id < ?'),
      dropLogs: this.db.prepare('DELETE FROM logs WHERE id < ?'),
      dropSeries: this.db.prepare('DELETE FROM series WHERE id IN (SELECT id FROM series ORDER BY updated LIMIT ?)'),
      pruneResources: this.db.prepare(
        `DELETE FROM resources WHERE id NOT IN
           (SELECT resource_id FROM spans UNION SELECT resource_id FROM logs UNION SELECT resource_id FROM series)`,
      ),
      setMeta: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?'),
    };
    this.loadState();
  }

  /**
   * What the store keeps in memory beside the database, read from it: at opening, and after a batch was rolled back
   * (a failed batch must leave no resource id, count or facet that the database does not have).
   */
  private loadState(): void {
    this.resourceIds.clear();
    this.resources.clear();
    this.resourceSizes.clear();
    this.resourceOfObject = new WeakMap();
    this.facetCache = undefined;
    for (const row of this.db.prepare('SELECT id, json FROM resources').all()) {
      const id = Number(row.id);
      const json = String(row.json);
      this.resourceIds.set(json, id);
      this.resources.set(id, JSON.parse(json) as Attributes);
      this.resourceSizes.set(id, json.length);
    }
    const meta = new Map(
      this.db
        .prepare('SELECT key, value FROM meta')
        .all()
        .map((row) => [String(row.key), Number(row.value)]),
    );
    this.dropped.spans = meta.get('dropped.spans') ?? 0;
    this.dropped.logs = meta.get('dropped.logs') ?? 0;
    this.dropped.points = meta.get('dropped.points') ?? 0;
    this.rejectedRequests = meta.get('rejected.requests') ?? 0;
    this.otherPoints = meta.get('other.points') ?? 0;
    for (const table of ['spans', 'logs'] as const) {
      const row = this.db.prepare(`SELECT count(*) AS n, coalesce(min(id), 1) AS first FROM ${table}`).get();
      this.kept[table] = Number(row?.n ?? 0);
      this.firstId[table] = Number(row?.first ?? 1);
    }
    this.kept.points = Number(this.db.prepare('SELECT count(*) AS n FROM series').get()?.n ?? 0);
    this.updates = Number(this.db.prepare('SELECT coalesce(max(updated), 0) AS n FROM series').get()?.n ?? 0);
  }

  /** Stores one decoded export request, in one transaction, then tells the listeners. */
  add(batch: ExportBatch): void {
    this.db.exec('BEGIN');
    try {
      if (batch.signal === 'traces') this.addSpans(batch.spans);
      else if (batch.signal === 'logs') this.addLogs(batch.logs);
      else {
        for (const point of batch.points) this.addPoint(point);
        this.otherPoints += batch.otherPoints;
        if (batch.otherPoints > 0) this.setMeta('other.points', this.otherPoints);
        this.dropOldestSeries();
      }
      if (this.droppedSincePrune >= PRUNE_AFTER_DROPS) this.pruneResources();
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      this.loadState();
      throw error;
    }
    for (const listener of this.listeners) listener();
  }

  /** Counts an export request the receiver refused (malformed, too large). */
  noteRejected(): void {
    this.rejectedRequests++;
    this.setMeta('rejected.requests', this.rejectedRequests);
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
    if (this.db.isOpen) this.db.close();
  }

  private setMeta(key: string, value: number): void {
    this.statements.setMeta.run(key, value, value);
  }

  private resourceId(resource: Attributes): number {
    const known = this.resourceOfObject.get(resource);
    if (known !== undefined) return known;
    const json = canonicalJson(resource);
    let id = this.resourceIds.get(json);
    if (id === undefined) {
      id = Number(this.statements.insertResource.run(json).lastInsertRowid);
      this.resourceIds.set(json, id);
      this.resources.set(id, resource);
      this.resourceSizes.set(id, json.length);
    }
    this.resourceOfObject.set(resource, id);
    return id;
  }

  /**
   * Every process run brings a resource of its own (its service.instance.id): once the rows of old runs are dropped,
   * their resources go too, so that the table stays as bounded as the rows.
   */
  private pruneResources(): void {
    this.droppedSincePrune = 0;
    if (Number(this.statements.pruneResources.run().changes) === 0) return;
    const left = new Set(
      this.db
        .prepare('SELECT id FROM resources')
        .all()
        .map((row) => Number(row.id)),
    );
    for (const [json, id] of this.resourceIds) {
      if (left.has(id)) continue;
      this.resourceIds.delete(json);
      this.resources.delete(id);
      this.resourceSizes.delete(id);
    }
    this.resourceOfObject = new WeakMap();
  }

  private addSpans(spans: SpanRecord[]): void {
    const { insertSpan, insertOperation } = this.statements;
    for (const span of spans) {
      const { resource, traceId, spanId, ...rest } = span;
      const stored: StoredSpan = rest;
      const id = Number(
        insertSpan.run(traceId, spanId, this.resourceId(resource), span.startMs, JSON.stringify(stored))
          .lastInsertRowid,
      );
      const operation = operationOf(span, id);
      if (operation !== undefined) {
        insertOperation.run(
          id,
          traceId,
          spanId,
          operation.service,
          operation.kind,
          operation.method,
          operation.target ?? null,
          operation.name,
          operation.startMs,
          operation.durationMs,
          operation.outcome,
          operation.errorType ?? null,
          operation.statusMessage ?? null,
          operation.session,
        );
        this.noteFacets(operation);
      }
    }
    this.kept.spans += spans.length;
    const excess = this.kept.spans - this.caps.spans;
    if (excess > 0) {
      const below = this.firstId.spans + excess;
      this.statements.dropSpans.run(below);
      this.statements.dropOperations.run(below);
      this.firstId.spans = below;
      this.kept.spans -= excess;
      this.dropped.spans += excess;
      this.droppedSincePrune += excess;
      this.setMeta('dropped.spans', this.dropped.spans);
      this.facetCache = undefined;
    }
  }

  private addLogs(logs: LogRecord[]): void {
    const { insertLog } = this.statements;
    for (const log of logs) {
      const { resource, ...rest } = log;
      const stored: StoredLog = rest;
      insertLog.run(
        log.traceId ?? null,
        log.spanId ?? null,
        this.resourceId(resource),
        log.timeMs,
        JSON.stringify(stored),
      );
    }
    this.kept.logs += logs.length;
    const excess = this.kept.logs - this.caps.logs;
    if (excess > 0) {
      const below = this.firstId.logs + excess;
      this.statements.dropLogs.run(below);
      this.firstId.logs = below;
      this.kept.logs -= excess;
      this.dropped.logs += excess;
      this.droppedSincePrune += excess;
      this.setMeta('dropped.logs', this.dropped.logs);
    }
  }

  private addPoint(point: HistogramPoint): void {
    const attributes = canonicalJson(point.attributes);
    const resourceId = this.resourceId(point.resource);
    const key = `${resourceId} ${point.metric} ${attributes} ${point.bounds.join(',')}`;
    // A sum may be NaN or infinite in OTLP (a NaN was measured); the figures here do not use it.
    const sum = Number.isFinite(point.sum) ? point.sum : 0;
    const existing = this.statements.findSeries.get(key);
    this.updates++;
    if (existing === undefined) {
      this.statements.insertSeries.run(
        key,
        this.updates,
        resourceId,
        point.service,
        point.metric,
        point.unit,
        attributes,
        point.temporality,
        point.startMs,
        point.timeMs,
        point.count,
        sum,
        JSON.stringify(point.bounds),
        JSON.stringify(point.bucketCounts),
      );
      this.kept.points++;
      return;
    }
    const id = Number(existing.id);
    if (point.temporality === 2) {
      // Cumulative: the newest point holds the whole story (an older one arriving late changes nothing).
      if (point.timeMs < Number(existing.time_ms)) return;
      this.statements.updateSeries.run(
        this.updates,
        point.startMs,
        point.timeMs,
        point.count,
        sum,
        JSON.stringify(point.bucketCounts),
        id,
      );
      return;
    }
    // Delta: each point counts what happened since the one before it.
    const counts = JSON.parse(String(existing.bucket_counts)) as number[];
    const added = point.bucketCounts.map((c, i) => c + (counts[i] ?? 0));
    this.statements.updateSeries.run(
      this.updates,
      point.startMs,
      Math.max(point.timeMs, Number(existing.time_ms)),
      Number(existing.count) + point.count,
      Number(existing.sum) + sum,
      JSON.stringify(added),
      id,
    );
  }

  /** Past the cap, the series updated longest ago go first. */
  private dropOldestSeries(): void {
    const excess = this.kept.points - this.caps.points;
    if (excess <= 0) return;
    this.statements.dropSeries.run(excess);
    this.kept.points -= excess;
    this.dropped.points += excess;
    this.droppedSincePrune += excess;
    this.setMeta('dropped.points', this.dropped.points);
  }

  /** A new value joins its list while there is room; past it the lists are read again, the most recent first. */
  private noteFacets(operation: Operation): void {
    const facets = this.facetCache;
    if (facets === undefined) return;
    const add = (list: string[], value: string | undefined): void => {
      if (value === undefined || list.includes(value)) return;
      if (list.length >= MAX_FACET_VALUES) this.facetCache = undefined;
      else list.push(value);
    };
    add(facets.services, operation.service);
    add(facets.methods, operation.method);
    if (operation.method === 'tools/call') add(facets.tools, operation.target);
    if (!facets.outcomes.includes(operation.outcome)) facets.outcomes.push(operation.outcome);
  }

  status(): StoreStatus {
    return {
      kept: { ...this.kept },
      dropped: { ...this.dropped },
      caps: { ...this.caps },
      rejectedRequests: this.rejectedRequests,
      otherPoints: this.otherPoints,
    };
  }

  facets(): OperationsAnswer['facets'] {
    if (this.facetCache === undefined) {
      const column = (name: string, where = ''): string[] =>
        this.db
          .prepare(
            `SELECT ${name} AS v FROM operations ${where} GROUP BY ${name} ORDER BY max(id) DESC
             LIMIT ${MAX_FACET_VALUES}`,
          )
          .all()
          .map((row) => String(row.v));
      this.facetCache = {
        services: column('service'),
        methods: column('method'),
        tools: column('target', "WHERE method = 'tools/call' AND target IS NOT NULL"),
        outcomes: column('outcome') as Outcome[],
      };
    }
    const sorted = (list: string[]): string[] => [...list].sort();
    const { services, methods, tools, outcomes } = this.facetCache;
    return {
      services: sorted(services),
      methods: sorted(methods),
      tools: sorted(tools),
      outcomes: OUTCOMES.filter((o) => outcomes.includes(o)),
    };
  }

  operations(filter: OperationFilter): Operation[] {
    const where: string[] = [];
    const values: (string | number)[] = [];
    const equal = (column: string, value: string | number | undefined): void => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      values.push(value);
    };
    equal('service', filter.service);
    equal('method', filter.method);
    equal('outcome', filter.outcome);
    equal('session', filter.session);
    equal('trace_id', filter.traceId);
    if (filter.tool !== undefined) {
      where.push("method = 'tools/call' AND target = ?");
      values.push(filter.tool);
    }
    if (filter.beforeId !== undefined) {
      where.push('id < ?');
      values.push(filter.beforeId);
    }
    if (filter.afterId !== undefined) {
      where.push('id > ?');
      values.push(filter.afterId);
    }
    if (filter.text !== undefined && filter.text !== '') {
      const pattern = likePattern(filter.text);
      where.push(
        '(' +
          ['method', 'target', 'name', 'service', 'error_type', 'status_message']
            .map((column) => `${column} LIKE ? ESCAPE '\\'`)
            .join(' OR ') +
          ')',
      );
      values.push(pattern, pattern, pattern, pattern, pattern, pattern);
    }
    const limit = Math.min(Math.max(1, filter.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
    const sql = `SELECT * FROM operations ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...values) as unknown as OperationRow[]).map(operationFromRow);
  }

  sessionOperations(session: string, limit = MAX_LIMIT): Operation[] {
    const rows = this.db
      .prepare('SELECT * FROM operations WHERE session = ? ORDER BY start_ms, id LIMIT ?')
      .all(session, Math.min(Math.max(1, limit), MAX_LIMIT)) as unknown as OperationRow[];
    return rows.map(operationFromRow);
  }

  trace(traceId: string): TraceAnswer | undefined {
    const spanRows = this.db
      .prepare(
        `SELECT trace_id, span_id, resource_id, record FROM spans WHERE trace_id = ? ORDER BY start_ms, id
         LIMIT ${MAX_TRACE_ITEMS + 1}`,
      )
      .all(traceId);
    if (spanRows.length === 0) return undefined;
    const logRows = this.db
      .prepare(
        `SELECT resource_id, record FROM logs WHERE trace_id = ? ORDER BY time_ms, id LIMIT ${MAX_TRACE_ITEMS + 1}`,
      )
      .all(traceId);
    let budget = MAX_TRACE_BYTES;
    let cut = spanRows.length > MAX_TRACE_ITEMS || logRows.length > MAX_TRACE_ITEMS;
    /** The rows that fit the budget, turned into records. */
    const within = <T>(rows: Record<string, unknown>[], make: (row: Record<string, unknown>) => T): T[] => {
      const kept: T[] = [];
      for (const row of rows.slice(0, MAX_TRACE_ITEMS)) {
        budget -= String(row.record).length + (this.resourceSizes.get(Number(row.resource_id)) ?? 0);
        if (budget < 0) {
          cut = true;
          break;
        }
        kept.push(make(row));
      }
      return kept;
    };
    const answer: TraceAnswer = {
      traceId,
      spans: within(spanRows, (row) => ({
        ...(JSON.parse(String(row.record)) as StoredSpan),
        traceId: String(row.trace_id),
        spanId: String(row.span_id),
        resource: this.resources.get(Number(row.resource_id)) ?? {},
      })),
      logs: within(logRows, (row) => ({
        ...(JSON.parse(String(row.record)) as StoredLog),
        resource: this.resources.get(Number(row.resource_id)) ?? {},
      })),
    };
    if (cut) {
      const count = (table: string): number =>
        Number(this.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE trace_id = ?`).get(traceId)?.n ?? 0);
      answer.truncated = { spans: count('spans'), logs: count('logs') };
    }
    return answer;
  }

  /**
   * Per tool (tools/call, by service, side, the server a client called and the tool) and per server (every method, by
   * service, side and the server a client called), from the MCP duration histograms.
   */
  stats(): StatsAnswer {
    const rows = this.db
      .prepare(
        `SELECT service, metric, unit, attributes, count, sum, bounds, bucket_counts FROM series
         WHERE metric IN (${Object.keys(DURATION_METRICS)
           .map(() => '?')
           .join(', ')})`,
      )
      .all(...Object.keys(DURATION_METRICS)) as unknown as SeriesRow[];
    const tools = new Map<string, Merged>();
    const servers = new Map<string, Merged>();
    for (const row of rows) {
      const side = DURATION_METRICS[row.metric];
      if (side === undefined) continue;
      const attributes = JSON.parse(row.attributes) as Attributes;
      const counts = JSON.parse(row.bucket_counts) as number[];
      const method = typeof attributes[ATTR_MCP_METHOD_NAME] === 'string' ? attributes[ATTR_MCP_METHOD_NAME] : '';
      const tool = attributes[ATTR_GEN_AI_TOOL_NAME];
      const serverName = attributes[ATTR_MCP_SERVER_NAME];
      const group: Group = {
        service: row.service,
        side,
        // A client's figures are per server it calls; a server's are its own.
        server: side === 'client' && typeof serverName === 'string' ? serverName : undefined,
        toMs: row.unit === 'ms' ? 1 : row.unit === 'us' ? 0.001 : 1000,
        bounds: JSON.parse(row.bounds) as number[],
        method: '',
      };
      const errors = attributes[ATTR_ERROR_TYPE] !== undefined ? row.count : 0;
      addToGroup(servers, group, row.count, errors, counts);
      if (method === 'tools/call' && typeof tool === 'string') {
        addToGroup(tools, { ...group, method, tool }, row.count, errors, counts);
      }
    }
    const order = (a: StatsRow, b: StatsRow): number =>
      a.service.localeCompare(b.service) ||
      a.side.localeCompare(b.side) ||
      (a.server ?? '').localeCompare(b.server ?? '') ||
      (a.tool ?? '').localeCompare(b.tool ?? '');
    return {
      tools: [...tools.values()].map(statsRow).sort(order),
      servers: [...servers.values()].map(statsRow).sort(order),
    };
  }
}
