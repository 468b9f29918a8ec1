/**
 * Metrics at process.exit(): the points recorded since the last export (the MCP operation and session durations,
 * and any other synchronous instrument) reach the collector, as spans and logs do.
 *
 * The periodic reader collects asynchronously, and nothing asynchronous finishes at 'exit'. But the SDK's storage of
 * a synchronous instrument is collected synchronously; only the callbacks of observable instruments are awaited
 * (MeterSharedState.collect). So at exit the reader's own collector is walked synchronously, without the observable
 * callbacks (their last observed values are what is collected), and the result is posted as the spans are. It is
 * sent only when it differs from what was last delivered: after a normal exit, whose flush at 'beforeExit' delivered
 * everything, nothing more is sent. The HTTP instrumentations' points do not count in that comparison (they measure
 * the metric exports themselves, and would differ every time; they go along when something else changed). With delta
 * temporality, an export still in flight at exit is lost, and observable instruments give nothing.
 */
import { diag } from '@opentelemetry/api';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ExitPending } from './exit-flush';

/**
 * The private shapes of @opentelemetry/sdk-metrics 3.0.0 read here (pinned exactly; read in `dist/export/
 * MetricReader.cjs`, `dist/state/MetricCollector.cjs`, `MeterProviderSharedState.cjs`, `MeterSharedState.cjs`,
 * `MetricStorageRegistry.cjs`): a reader's collector, the provider state behind it, each meter's storages.
 */
interface SdkReader {
  _sdkMetricProducer?: SdkCollector;
}
interface SdkCollector {
  _sharedState?: { resource?: unknown; meterSharedStates?: Map<unknown, SdkMeterState> };
}
interface SdkMeterState {
  _instrumentationScope?: unknown;
  metricStorageRegistry?: {
    getStorages(collector: SdkCollector): { collect(c: SdkCollector, t: [number, number]): unknown }[];
  };
}

export class PendingMetrics implements ExitPending {
  /** Metrics take no part in the count of recorded items that 'beforeExit' compares. */
  readonly added = 0;
  private reader: SdkReader | undefined;
  /** What the last successful export sent (compared only at exit: nothing is computed per export). */
  private delivered: ResourceMetrics | undefined;

  /** Known only when there is something to collect: the reader of this exporter, once it is built. */
  get size(): number {
    return this.reader === undefined ? 0 : 1;
  }

  bind(reader: object): void {
    this.reader = reader as SdkReader;
  }

  /** Follows the reader's exporter: a delivered export tells what the collector has. */
  tracking<E extends PushMetricExporter & { onDelivered: ((items: unknown) => void) | undefined }>(exporter: E): E {
    exporter.onDelivered = (metrics) => (this.delivered = metrics as ResourceMetrics);
    return exporter;
  }

  /** At exit: what the reader would collect now, unless it is what was delivered last (or nothing). */
  drain(): unknown[] {
    const collected = this.collectNow();
    if (collected === undefined) return [];
    try {
      const current = fingerprint(collected);
      return current === EMPTY || (this.delivered && current === fingerprint(this.delivered)) ? [] : [collected];
    } catch {
      return [collected];
    }
  }

  private collectNow(): ResourceMetrics | undefined {
    try {
      const collector = this.reader?._sdkMetricProducer;
      const shared = collector?._sharedState;
      if (!collector || !shared?.meterSharedStates) return undefined;
      const now = Date.now();
      const time: [number, number] = [Math.floor(now / 1000), (now % 1000) * 1e6];
      const scopeMetrics = [];
      for (const meter of shared.meterSharedStates.values()) {
        const storages = meter.metricStorageRegistry?.getStorages(collector) ?? [];
        const metrics = storages.map((storage) => storage.collect(collector, time)).filter((m) => m != null);
        if (metrics.length > 0) scopeMetrics.push({ scope: meter._instrumentationScope, metrics });
      }
      return { resource: shared.resource, scopeMetrics } as unknown as ResourceMetrics;
    } catch (err) {
      diag.debug('the metrics could not be collected at exit:', err);
      return undefined;
    }
  }
}

const EMPTY = '0:0:0:0';
/** Scopes whose points change with every export (the exporter's own HTTP requests are measured there). */
const EXPORT_MEASURING_SCOPES: ReadonlySet<string> = new Set([
  '@opentelemetry/instrumentation-http',
  '@opentelemetry/instrumentation-undici',
]);

/**
 * What a collection holds, in brief: the number of points, their counts and values, and their start times, summed. A
 * cumulative stream keeps its start time, so its counts tell; a delta point starts where the last export ended, so
 * even the same delta as last time is told apart.
 */
function fingerprint(metrics: ResourceMetrics): string {
  let points = 0;
  let counts = 0;
  let values = 0;
  let starts = 0;
  for (const scope of metrics.scopeMetrics) {
    if (EXPORT_MEASURING_SCOPES.has(scope.scope.name)) continue;
    for (const metric of scope.metrics) {
      for (const point of metric.dataPoints as { value: unknown; startTime?: [number, number] }[]) {
        points++;
        starts += (point.startTime?.[0] ?? 0) + (point.startTime?.[1] ?? 0) / 1e9;
        const value = point.value as number | { count?: number; sum?: number };
        if (typeof value === 'number') values += value;
        else {
          counts += value.count ?? 0;
          values += value.sum ?? 0;
        }
      }
    }
  }
  return `${points}:${counts}:${values}:${starts}`;
}
