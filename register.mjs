// `node --import @x/mcp-otel/register app.js`: starts OpenTelemetry for the app, from the OTEL_* variables.
// Kept small: the guards come first, and nothing heavy is loaded unless they pass. It never throws and never writes
// to stdout: a failure is one line on stderr, and the app runs on without telemetry.
import { isMainThread } from 'node:worker_threads';

const STARTED = Symbol.for('@x/mcp-otel.preload');

async function preload() {
  // Worker threads (pino transports among them) run the preloads again: the main thread's SDK serves the process.
  if (!isMainThread) return;
  // Given twice (--import and NODE_OPTIONS, or two installed copies): the first one wins.
  if (globalThis[STARTED] !== undefined) return;
  globalThis[STARTED] = import.meta.url;
  if ((process.env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return;
  try {
    const { startDistro } = await import('./dist/distro/start.js');
    await startDistro();
  } catch (err) {
    try {
      process.stderr.write(`@x/mcp-otel error: telemetry is off, the preload failed: ${String(err?.stack ?? err).split('\n')[0]}\n`);
    } catch {
      // Nothing more can be done without risking the app.
    }
  }
}

await preload();
