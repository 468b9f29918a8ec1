/**
 * Flushing at the ends of a process's life, without changing how the process ends, within a bound (2 s by default).
 *
 * Nothing of the telemetry keeps the process alive by itself: exports are handed over at once, and their sockets and
 * retry timers are unref'd (exporters.ts, otlp-transport.ts). So the app's own work decides when the process ends,
 * and only these flushes hold it, each with one timer of the bound:
 * - 'beforeExit' (the event loop ran dry, e.g. a stdio server whose stdin closed): flush, for at most the bound; then
 *   the process exits as it would have (again when the loop runs dry with nothing new recorded).
 * - 'exit' (also after process.exit()): whatever is still pending is posted synchronously (exit-flush.ts), for at most
 *   the bound, except to a collector that was down at the last try, and not at all after a flush for exit that ran
 *   out of time.
 * - SIGTERM and SIGINT: a listener of ours removes Node's default exit, so: if the app has its own listener, flush and
 *   leave the exit to the app; if ours is the only one, flush, then raise the signal again with our listener removed,
 *   so the process ends by the signal exactly as it would have without us (a shell sees 128 + the signal number).
 * A collector that was tried and never accepted anything is not waited for at all. What was not sent at exit is one
 * line per collector (collectors.ts).
 */
import { diag } from '@opentelemetry/api';
import { collectExitRequests, postSynchronously } from './exit-flush';
import type { SyncFlushSource } from './exit-flush';
import { beginExit, reportExit } from '../collectors';
import { countItems } from '../exporters';
import type { RunningTelemetry } from '../sdk';

/** What a source still has to send: its queued and in-flight items (for metrics, the points being delivered). */
function unsentCount(source: SyncFlushSource): number {
  return source.config.signal === 'metrics' ? source.exporter.inFlightCount() : source.pending.size;
}

export function installProcessHooks(telemetry: RunningTelemetry, boundMillis: number): void {
  let flushing: Promise<boolean> | undefined;
  // A flush for exit ran out of time: the collector had its chance, 'exit' does not make the app wait again.
  let waitedInVain = false;
  // How many spans and log records were ever handed to the batch processors, when the last flush for exit began.
  const recorded = () => telemetry.syncFlushSources.reduce((n, s) => n + s.pending.added, 0);
  let recordedAtLastFlush = -1;

  /** Flushes everything, holding the process for at most the bound; true when it finished in time. */
  const flushForExit = (): Promise<boolean> => {
    beginExit();
    if (flushing === undefined) recordedAtLastFlush = recorded();
    flushing ??= new Promise<boolean>((resolve) => {
      // Nothing of the telemetry keeps the process alive (otlp-transport.ts): this timer holds it for the flush.
      const hold = setTimeout(() => resolve(false), boundMillis);
      const done = () => {
        clearTimeout(hold);
        resolve(true);
      };
      telemetry.forceFlush().then(done, (err) => {
        diag.debug('telemetry flush failed:', err);
        done();
      });
    }).then((inTime) => {
      flushing = undefined;
      if (!inTime) {
        waitedInVain = true;
        for (const source of telemetry.syncFlushSources)
          source.exporter.collector.unfinishedAtExit(source.config.signal, unsentCount(source), boundMillis);
      }
      reportExit();
      return inTime;
    });
    return flushing;
  };

  process.on('beforeExit', () => {
    // Nothing recorded since the last flush for exit: flushing again would only keep the process alive for nothing.
    if (flushing !== undefined || recorded() === recordedAtLastFlush) return;
    void flushForExit().then((inTime) => {
      // The app was done when 'beforeExit' came. Sockets and timers of the telemetry do not hold the process, but a
      // connection still being opened or a host name being looked up does: end the process as it was about to end,
      // unless the app has 'beforeExit' work of its own.
      if (!inTime && process.listenerCount('beforeExit') === 1) process.exit();
    });
  });

  process.on('exit', () => {
    // After a flush for exit that has ended, only what was recorded since it began is left to send (a metric reader's
    // collection is cumulative: it would be the same points again). During one (process.exit() in a signal handler of
    // the app), what is pending and not written out is sent.
    if (waitedInVain || (flushing === undefined && recorded() === recordedAtLastFlush)) return;
    beginExit();
    try {
      const sendable = telemetry.syncFlushSources.filter((source) => {
        const { collector } = source.exporter;
        if (collector.state !== 'down' && !collector.neverAccepted) return true;
        // Down at the last try, or tried and never accepting: not waited for (again).
        const { signal } = source.config;
        const items = source.pending.drain();
        collector.skippedAtExit(signal, countItems(signal, signal === 'metrics' ? items[0] : items));
        return false;
      });
      const requests = collectExitRequests(sendable);
      const outcomes = postSynchronously(requests, boundMillis);
      requests.forEach((request, i) => {
        const outcome = outcomes[i]!;
        const { collector } = request.source.exporter;
        if (outcome.delivered) collector.accepted();
        else collector.failed(request.source.config.signal, outcome.failure, request.count);
      });
    } catch (err) {
      diag.debug('telemetry flush at exit failed:', err);
    }
    reportExit();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    let ending = false;
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) {
        void flushForExit();
        return;
      }
      const endBySignal = () => {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      };
      // A second signal while flushing: the user insists, stop waiting.
      if (ending) return endBySignal();
      ending = true;
      void flushForExit().then(endBySignal);
    };
    process.on(signal, onSignal);
  }
}
