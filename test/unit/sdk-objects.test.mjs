// The one way an SDK object is changed (src/instrumentation/sdk-objects.ts): methods replaced and put back under one
// mark, functions wrapped once, instances changed once in place without shadowing their accessors, frozen objects left
// alone; the marks older copies of @x/mcp-otel put are recognised (what they changed is not changed again) and still
// written (an older copy, which reads only its own, must not change what this one changed). The older copies' checks
// are written out here as they were (0.1.0 before issue 25).
import { test } from 'node:test';
import assert from 'node:assert/strict';

const {
  changeOnce,
  constructingOnce,
  definedByAccessor,
  interceptHandler,
  replaceMethods,
  restoreMethods,
  wrapFunctionOnce,
  wrapInstanceMethod,
} = await import('../../dist/instrumentation/sdk-objects.js');

const PATCHED = Symbol.for('@x/mcp-otel.patched');
const WRAPPED = Symbol.for('@x/mcp-otel.wrapped');
const ENTRY = Symbol.for('@x/mcp-otel.entry');
const EXT_TASKS = Symbol.for('@x/mcp-otel.ext-tasks');
const AI_SDK_RESPONSES = Symbol.for('@x/mcp-otel.ai-sdk-responses');
const TMCP_TRANSPORT = Symbol.for('@x/mcp-otel.tmcp-transport');
const PROBE_SENDS = Symbol.for('@x/mcp-otel.probe-sends');

/** A wrapper that tags what the original returns. */
const tagging = (tag) => (original) =>
  function (...args) {
    return `${tag}(${original.apply(this, args)})`;
  };

function protoWith(names) {
  class Sdk {}
  for (const name of names) Sdk.prototype[name] = function () { return `${name}:${this.id}`; };
  return Sdk;
}

test('replaceMethods: the wrappers called with the instance, the originals under the one mark, once; restoreMethods puts them back', () => {
  const Sdk = protoWith(['request', 'connect']);
  const { request, connect } = Sdk.prototype;
  assert.equal(replaceMethods(Sdk.prototype, { request: tagging('a'), connect: tagging('a'), missing: tagging('a'), notification: undefined }), true);
  const sdk = Object.assign(new Sdk(), { id: 1 });
  assert.equal(sdk.request(), 'a(request:1)');
  assert.equal(sdk.connect(), 'a(connect:1)');
  assert.equal('missing' in Sdk.prototype, false);
  // The value older copies wrote and their unpatch() reads: the originals by method name.
  assert.deepEqual(Sdk.prototype[PATCHED], { request, connect });
  assert.deepEqual(Object.getOwnPropertyDescriptor(Sdk.prototype, PATCHED), { value: { request, connect }, writable: false, enumerable: false, configurable: true });
  // A second copy (or a second call): refused, nothing wrapped twice.
  assert.equal(replaceMethods(Sdk.prototype, { request: tagging('b') }), false);
  assert.equal(sdk.request(), 'a(request:1)');
  restoreMethods(Sdk.prototype);
  assert.equal(Sdk.prototype.request, request);
  assert.equal(Sdk.prototype.connect, connect);
  assert.equal(Object.hasOwn(Sdk.prototype, PATCHED), false);
  // Put back: it can be patched again.
  assert.equal(replaceMethods(Sdk.prototype, { request: tagging('c') }), true);
  assert.equal(sdk.request(), 'c(request:1)');
});

test('replaceMethods: a prototype an older copy patched is not patched again, and an older copy sees ours', () => {
  const Sdk = protoWith(['request', 'connect']);
  // An older copy: its originals under the same mark, by method name.
  const older = { request: Sdk.prototype.request, connect: Sdk.prototype.connect };
  Sdk.prototype.request = tagging('older')(older.request);
  Object.defineProperty(Sdk.prototype, PATCHED, { value: older, configurable: true });
  assert.equal(replaceMethods(Sdk.prototype, { request: tagging('new'), connect: tagging('new') }), false);
  assert.equal(Object.assign(new Sdk(), { id: 2 }).request(), 'older(request:2)');
  // The older copy's check (`Object.hasOwn(proto, PATCHED)`) on a prototype this copy patched.
  const Fresh = protoWith(['request']);
  replaceMethods(Fresh.prototype, { request: tagging('new') });
  assert.equal(Object.hasOwn(Fresh.prototype, PATCHED), true);
});

test('replaceMethods: methods of other names on a patched prototype (the probe\'s send next to start) are replaced once each, put back together', () => {
  const Transport = protoWith(['start', 'send']);
  const { start, send } = Transport.prototype;
  assert.equal(replaceMethods(Transport.prototype, { start: tagging('start') }), true);
  assert.equal(replaceMethods(Transport.prototype, { send: tagging('probe') }, 'probe-sends'), true);
  assert.equal(replaceMethods(Transport.prototype, { send: tagging('probe again') }, 'probe-sends'), false);
  // The older probe's mark, with the original, as it wrote it.
  assert.equal(Transport.prototype[PROBE_SENDS], send);
  const transport = Object.assign(new Transport(), { id: 3 });
  assert.equal(transport.send(), 'probe(send:3)');
  restoreMethods(Transport.prototype);
  assert.equal(Transport.prototype.start, start);
  assert.equal(Transport.prototype.send, send);
  assert.equal(Object.hasOwn(Transport.prototype, PROBE_SENDS), false);
  assert.equal(Object.hasOwn(Transport.prototype, PATCHED), false);
});

test('replaceMethods: an owner an older copy\'s probe wrapped (its own mark only) is left alone', () => {
  const Transport = protoWith(['send']);
  Object.defineProperty(Transport.prototype, PROBE_SENDS, { value: Transport.prototype.send });
  assert.equal(replaceMethods(Transport.prototype, { send: tagging('probe') }, 'probe-sends'), false);
  assert.equal(Object.assign(new Transport(), { id: 4 }).send(), 'send:4');
});

test('replaceMethods and restoreMethods on a frozen prototype: nothing changed, nothing thrown', () => {
  const Sdk = protoWith(['request']);
  const { request } = Sdk.prototype;
  Object.freeze(Sdk.prototype);
  assert.equal(replaceMethods(Sdk.prototype, { request: tagging('a') }), false);
  assert.equal(Sdk.prototype.request, request);
  assert.doesNotThrow(() => restoreMethods(Sdk.prototype));
  assert.doesNotThrow(() => restoreMethods(Object.create(null)));
});

test('wrapFunctionOnce: a wrapper marked with what it wraps, never wrapped twice; older copies\' marks written and recognised', () => {
  const handler = function (x) { return x + 1; };
  const wrapped = wrapFunctionOnce('request-handler', handler, tagging('h'));
  assert.notEqual(wrapped, handler);
  assert.equal(wrapped(1), 'h(2)');
  assert.equal(wrapped[PATCHED], handler);
  // Older copies: `handler[WRAPPED]` for a handler; `Object.hasOwn(fn, ENTRY)` and `Object.hasOwn(fn, EXT_TASKS)` for exports.
  assert.equal(wrapped[WRAPPED], true);
  assert.equal(wrapFunctionOnce('request-handler', wrapped, tagging('again')), wrapped);
  const entry = wrapFunctionOnce('v2-entry', handler, tagging('e'));
  assert.equal(Object.hasOwn(entry, ENTRY), true);
  assert.equal(entry[ENTRY], handler);
  const factory = wrapFunctionOnce('ext-tasks-factory', handler, tagging('f'));
  assert.equal(Object.hasOwn(factory, EXT_TASKS), true);
  // A wrapper of an older copy (its own mark only) is left as it is.
  const older = Object.defineProperty(function () {}, WRAPPED, { value: true });
  assert.equal(wrapFunctionOnce('request-handler', older, tagging('x')), older);
  const olderEntry = Object.defineProperty(function () {}, ENTRY, { value: handler });
  assert.equal(wrapFunctionOnce('v2-entry', olderEntry, tagging('x')), olderEntry);
  // Not a function: as it is.
  assert.equal(wrapFunctionOnce('request-handler', undefined, tagging('x')), undefined);
  const notOne = {};
  assert.equal(wrapFunctionOnce('request-handler', notOne, tagging('x')), notOne);
});

test('constructingOnce: the class through a Proxy (instances its own, instanceof, statics), once; marked for older copies', () => {
  class Transport {
    static kind = 'stdio';
    constructor(server) {
      this.server = server;
    }
  }
  const seen = [];
  const Tracking = constructingOnce('tmcp-transport', Transport, (instance, args) => seen.push([instance, args[0]]));
  const server = {};
  const transport = new Tracking(server);
  assert.equal(transport instanceof Transport, true);
  assert.equal(transport instanceof Tracking, true);
  assert.equal(Object.getPrototypeOf(transport), Transport.prototype);
  assert.equal(Tracking.kind, 'stdio');
  assert.equal(Tracking.name, 'Transport');
  assert.deepEqual(seen, [[transport, server]]);
  class Sub extends Tracking {}
  assert.equal(new Sub(server) instanceof Transport, true);
  // The older copy's check: `Transport[TRACKED]`.
  assert.equal(Tracking[TMCP_TRANSPORT], true);
  assert.equal(constructingOnce('tmcp-transport', Tracking, () => {}), undefined);
  // A Proxy an older copy made (answering its mark only) is not wrapped again; the class itself is not marked.
  const older = new Proxy(Transport, { get: (target, key, receiver) => (key === TMCP_TRANSPORT ? true : Reflect.get(target, key, receiver)) });
  assert.equal(constructingOnce('tmcp-transport', older, () => {}), undefined);
  assert.equal(Object.getOwnPropertySymbols(Transport).length, 0);
});

test('changeOnce: an instance changed once per purpose, by any copy; both marks written; frozen left alone', () => {
  const transport = {};
  assert.equal(changeOnce(transport, 'sdk-transport'), true);
  assert.equal(changeOnce(transport, 'sdk-transport'), false);
  // Another purpose on the same transport (a serveStdio transport a Server also binds): its own.
  assert.equal(changeOnce(transport, 'v2-entry'), true);
  assert.deepEqual(transport[PATCHED], { 'sdk-transport': true, 'v2-entry': true });
  // The older copies' checks: `Object.hasOwn(transport, WRAPPED)`, `Object.hasOwn(wire, ENTRY)`.
  assert.equal(Object.hasOwn(transport, WRAPPED), true);
  assert.equal(Object.hasOwn(transport, ENTRY), true);
  assert.deepEqual(Object.keys(transport), []);
  // What an older copy marked is not changed again.
  const older = Object.defineProperty({}, AI_SDK_RESPONSES, { value: true });
  assert.equal(changeOnce(older, 'ai-sdk-responses'), false);
  assert.equal(changeOnce(Object.freeze({}), 'sdk-transport'), false);
  const refusing = new Proxy({}, { defineProperty: () => false });
  assert.equal(changeOnce(refusing, 'sdk-transport'), false);
});

test('wrapInstanceMethod: a plain method wrapped on the instance only; an accessor kept (its setter too); read-only left alone', () => {
  class Transport {
    send(message) {
      return `sent ${message}`;
    }
  }
  const one = new Transport();
  const other = new Transport();
  assert.equal(wrapInstanceMethod(one, 'send', tagging('w')), true);
  assert.equal(one.send('m'), 'w(sent m)');
  assert.equal(other.send('m'), 'sent m');
  assert.equal(Object.keys(one).includes('send'), false);

  class Forwarding {
    constructor() {
      this.inner = { send: (m) => `inner ${m}` };
    }
    get send() {
      return this.inner.send;
    }
    set send(fn) {
      this.inner.send = fn;
    }
  }
  const forwarding = new Forwarding();
  assert.equal(wrapInstanceMethod(forwarding, 'send', tagging('w')), true);
  assert.equal(forwarding.send('m'), 'w(inner m)');
  // Reading twice gives the same function, as it does bare.
  assert.equal(forwarding.send, forwarding.send);
  forwarding.send = (m) => `replaced ${m}`;
  assert.equal(forwarding.inner.send('m'), 'replaced m');
  assert.equal(forwarding.send('m'), 'w(replaced m)');

  const frozen = Object.freeze({ send: () => 'frozen' });
  assert.equal(wrapInstanceMethod(frozen, 'send', tagging('w')), false);
  assert.equal(frozen.send(), 'frozen');
  const readOnly = Object.defineProperty({}, 'send', { value: () => 'ro', writable: false, configurable: false });
  assert.equal(wrapInstanceMethod(readOnly, 'send', tagging('w')), false);
  assert.equal(readOnly.send(), 'ro');
});

test('interceptHandler: a handler set through an accessor reaches the inner transport, wrapped; a plain field is held; frozen left alone', () => {
  class Forwarding {
    constructor() {
      this.inner = {};
    }
    get onmessage() {
      return this.inner.onmessage;
    }
    set onmessage(handler) {
      this.inner.onmessage = handler;
    }
  }
  const forwarding = new Forwarding();
  assert.equal(definedByAccessor(forwarding, 'onmessage'), true);
  assert.equal(interceptHandler(forwarding, 'onmessage', tagging('seen')), true);
  forwarding.onmessage = (m) => `handled ${m}`;
  assert.equal(forwarding.inner.onmessage('m'), 'seen(handled m)');
  assert.equal(Object.getOwnPropertyDescriptor(forwarding, 'onmessage').get, Object.getOwnPropertyDescriptor(Forwarding.prototype, 'onmessage').get);

  const plain = { onmessage: (m) => `plain ${m}` };
  assert.equal(definedByAccessor(plain, 'onmessage'), false);
  assert.equal(interceptHandler(plain, 'onmessage', tagging('seen')), true);
  assert.equal(plain.onmessage('m'), 'seen(plain m)');
  plain.onmessage = (m) => `next ${m}`;
  assert.equal(plain.onmessage('m'), 'seen(next m)');
  assert.equal(Object.keys(plain).includes('onmessage'), true);

  const frozen = Object.freeze({ onmessage: undefined });
  assert.equal(interceptHandler(frozen, 'onmessage', tagging('seen')), false);
  const getterOnly = Object.defineProperty({}, 'onmessage', { get: () => undefined, configurable: true });
  assert.equal(interceptHandler(getterOnly, 'onmessage', tagging('seen')), false);
});
