// `node --import @x/mcp-otel/register app.js`: starts OpenTelemetry for the app, from the OTEL_* variables.
// Kept small: the guards come first, and nothing heavy is loaded unless they pass. It never throws and never writes
// to stdout: a failure is one line on stderr, and the app runs on without telemetry.
import { isMainThread } from 'node:worker_threads';

const STARTED = Symbol.for('@x/mcp-otel.preload');
/** The oldest Node.js our OpenTelemetry JS line runs on; package.json's engines says the same (a test checks). */
const MINIMUM_NODE = [22, 15, 0];

function nodeIsSupported() {
  const running = process.versions.node.split('.').map(Number);
  for (let i = 0; i < MINIMUM_NODE.length; i++) {
    if (running[i] !== MINIMUM_NODE[i]) return running[i] > MINIMUM_NODE[i];
  }
  return true;
}

function stderrLine(level, message) {
  try {
    process.stderr.write(`@x/mcp-otel ${level}: ${message}\n`);
  } catch {
    // Nothing more can be done without risking the app.
  }
}

async function preload() {
  // Worker threads (pino transports among them) run the preloads again: the main thread's SDK serves the process.
  if (!isMainThread) return;
  // Given twice (--import and NODE_OPTIONS, or two installed copies): the first one wins.
  if (globalThis[STARTED] !== undefined) return;
  globalThis[STARTED] = import.meta.url;
  const disabled = (process.env.OTEL_SDK_DISABLED ?? '').trim();
  if (disabled.toLowerCase() === 'true') return;
  // The specification defines true and false only; anything else leaves telemetry on, and says so.
  if (disabled !== '' && disabled.toLowerCase() !== 'false') {
    stderrLine(
      'warn',
      `OTEL_SDK_DISABLED: "${disabled}" is neither true nor false; ` +
        'telemetry stays on (OTEL_SDK_DISABLED=true turns it off)',
    );
  }
  // An older Node: one line on stderr (never stdout: a stdio MCP server speaks JSON-RPC there), nothing loaded.
  if (!nodeIsSupported()) {
    stderrLine(
      'warn',
      `telemetry is off: Node.js ${process.version} is older than ${MINIMUM_NODE.join('.')}, ` +
        'the oldest this version supports',
    );
    return;
  }
  try {
    const { startDistro } = await import('./dist/distro/start.js');
    await startDistro();
  } catch (err) {
    stderrLine('error', `telemetry is off, the preload failed: ${String(err?.stack ?? err).split('\n')[0]}`);
  }
}

await preload();
