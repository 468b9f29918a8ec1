/**
 * Flushing at the ends of a process's life, without changing how the process ends.
 *
 * - 'beforeExit' (the event loop ran dry, e.g. a stdio server whose stdin closed): flush asynchronously. The flush
 *   itself keeps the loop alive until it is done; when the loop runs dry again with nothing new recorded, the process
 *   exits as it would have.
 * - 'exit' (also after process.exit()): whatever the batch processors still hold is posted synchronously
 *   (exit-flush.ts).
 * - SIGTERM and SIGINT: a listener of ours removes Node's default exit, so: if the app has its own listener, flush and
 *   leave the exit to the app; if ours is the only one, flush, then raise the signal again with our listener removed,
 *   so the process ends by the signal exactly as it would have without us (a shell sees 128 + the signal number).
 * Every flush is bounded by the configured timeout.
 */
import { diag } from '@opentelemetry/api';
import { collectExitRequests, postSynchronously } from './exit-flush';
import type { RunningTelemetry } from '../sdk';

/** Resolves to true when the promise settled in time, false when the time ran out. */
function bounded(promise: Promise<unknown>, timeoutMillis: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      diag.warn(`telemetry flush did not finish within ${timeoutMillis} ms; going on without it`);
      resolve(false);
    }, timeoutMillis);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      (err) => {
        clearTimeout(timer);
        diag.warn('telemetry flush failed:', err);
        resolve(true);
      },
    );
  });
}

export function installProcessHooks(telemetry: RunningTelemetry, flushTimeoutMillis: number): void {
  let flushing: Promise<boolean> | undefined;
  // Once a flush has run out of time the collector is taken as unreachable: waiting for it again at exit would only
  // delay the app a second time.
  let unreachable = false;
  const flush = (): Promise<boolean> => {
    flushing ??= bounded(telemetry.forceFlush(), flushTimeoutMillis).then((inTime) => {
      flushing = undefined;
      if (!inTime) unreachable = true;
      return inTime;
    });
    return flushing;
  };

  // How many spans and log records were ever handed to the batch processors: when it has not moved since the last
  // flush at 'beforeExit', flushing again would only keep the process alive for nothing.
  const recorded = () => telemetry.syncFlushSources.reduce((n, s) => n + s.pending.added, 0);
  let recordedAtLastFlush = -1;
  process.on('beforeExit', () => {
    const now = recorded();
    if (flushing !== undefined || now === recordedAtLastFlush) return;
    recordedAtLastFlush = now;
    void flush().then((inTime) => {
      // The app was done when 'beforeExit' came; what is left alive now is the exporters' retry timers. End the
      // process as it was about to end, unless the app has 'beforeExit' work of its own.
      if (!inTime && process.listenerCount('beforeExit') === 1) process.exit();
    });
  });

  process.on('exit', () => {
    if (unreachable) return;
    try {
      postSynchronously(collectExitRequests(telemetry.syncFlushSources), flushTimeoutMillis);
    } catch (err) {
      diag.warn('telemetry flush at exit failed:', err);
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    let ending = false;
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) {
        void flush();
        return;
      }
      const endBySignal = () => {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      };
      // A second signal while flushing: the user insists, stop waiting.
      if (ending) return endBySignal();
      ending = true;
      void flush().then(endBySignal);
    };
    process.on(signal, onSignal);
  }
}
