// Process-wide state in one visible place (src/instrumentation/state.ts): every holder is named in PROCESS_STATE and
// made there, resetProcessState() puts each back, and no module of the instrumentation layer keeps a module-level Map,
// Set, WeakMap, WeakSet or `let` of its own (a new one fails here until it is declared through state.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.mjs';

const DIST = join(ROOT, 'dist', 'instrumentation');
const files = readdirSync(DIST).filter((name) => name.endsWith('.js'));
// Every module loaded, so that every holder is made.
for (const name of files) await import(join(DIST, name));
const state = await import(join(DIST, 'state.js'));

test('every holder made is named in PROCESS_STATE, and every name is made', () => {
  assert.deepEqual(state.processStateNames().sort(), Object.keys(state.PROCESS_STATE).sort());
});

test('no module keeps process-wide state outside state.ts: no top-level Map, Set, WeakMap, WeakSet or let', () => {
  const found = [];
  for (const name of files) {
    if (name === 'state.js') continue;
    const lines = readFileSync(join(DIST, name), 'utf8').split('\n');
    for (const line of lines) {
      // Top level: at column 0. A table built from a list (`new Set([...])`) is a constant; an empty one is a holder.
      // (tsc writes `var x_1 = require(...)` for a module re-exported: not state.)
      const variable = /^let\s/.test(line) || (/^var\s/.test(line) && !/^var\s+[\w$]+\s*=\s*require\(/.test(line));
      if (variable || /^(?:const|let|var)\s+[\w$]+\s*=\s*new\s+(?:Weak)?(?:Map|Set)\(\)/.test(line))
        found.push(`${name}: ${line}`);
    }
  }
  assert.deepEqual(found, []);
});

test('resetProcessState(): each kind of holder emptied (the weak ones replaced), values put back as they were made', () => {
  const map = new state.ResettableWeakMap();
  const set = new state.ResettableWeakSet();
  const key = {};
  map.set(key, 1);
  set.add(key);
  map.reset();
  set.reset();
  assert.equal(map.has(key), false);
  assert.equal(map.get(key), undefined);
  assert.equal(set.has(key), false);
});

test('resetProcessState(): the holders of the modules, through what the modules export', async () => {
  const caps = await import(join(DIST, 'caps.js'));
  const transportModule = await import(join(DIST, 'transport.js'));
  const selfTraced = await import(join(DIST, 'self-traced.js'));
  const { openServerOperations, startOperation } = await import(join(DIST, 'operation.js'));
  const { trace, ROOT_CONTEXT } = await import('@opentelemetry/api');
  const nodeRequest = await import(join(DIST, 'node-request.js'));
  const stdioServers = await import(join(DIST, 'stdio-servers.js'));

  caps.setAttributeValueLimit(100);
  const protocol = {};
  const transport = {};
  const ctl = { enabled: true };
  transportModule.registerConnection(protocol, transport, ctl);
  nodeRequest.watchNodeRequests();
  const url = stdioServers.registerFileUrl();
  // A processor exists: open SERVER operations are tracked (merge mode).
  new selfTraced.SelfTracedSpanProcessor([]);
  const settings = {
    mergeSelfTraced: true,
    tracer: trace.getTracer('state-test'),
    histograms: undefined,
    metricKeys: { client: [], server: [] },
    statusCodeKeys: [],
  };
  const start = { side: 'server', kind: 'request', method: 'tools/call', name: 'tools/call', attributes: {}, parent: ROOT_CONTEXT };
  const operation = startOperation(settings, start);
  assert.equal(caps.attributeValueCap(), 100);
  assert.notEqual(transportModule.knownConnection(protocol), undefined);
  assert.notEqual(transportModule.connectionOfTransport(transport), undefined);
  assert.equal(openServerOperations.has(operation), true);

  state.resetProcessState();
  assert.equal(caps.attributeValueCap(), caps.ATTRIBUTE_VALUE_CAP);
  assert.equal(transportModule.knownConnection(protocol), undefined);
  assert.equal(transportModule.connectionOfTransport(transport), undefined);
  assert.equal(openServerOperations.size, 0);
  // Not tracking any more: an operation begun now is not remembered.
  const later = startOperation(settings, { ...start, attributes: {} });
  assert.equal(openServerOperations.has(later), false);
  // Not watching: no peer of a Node.js request is read.
  assert.equal(nodeRequest.peerBeingHandled(), undefined);
  // A cache is looked up again, to the same answer.
  assert.equal(stdioServers.registerFileUrl(), url);
  // No adapter is told of receipts any more (no v2 entry was made since the reset).
  const receive = await import(join(DIST, 'receive.js'));
  receive.watchReceipts(() => {});
  state.resetProcessState();
  assert.doesNotThrow(() => receive.receiveExcludedRequest({}, () => 'handled', [{ method: 'ping', params: {} }]));
});
