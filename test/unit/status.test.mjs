// Unit tests of status.ts: JSON-RPC error codes and exceptions to error.type, rpc.response.status_code and the
// caller-fault rule, as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { errorCodeOutcome, exceptionErrorType, exceptionMessage, asException, isCallerFault } = require('../../dist/instrumentation/status.js');

test('JSON-RPC error codes: always the status code; an error except a caller fault on the server side', () => {
  const table = [
    // code, side, expected outcome
    [-32700, 'server', { statusCode: '-32700' }],
    [-32600, 'server', { statusCode: '-32600' }],
    [-32601, 'server', { statusCode: '-32601' }],
    [-32602, 'server', { statusCode: '-32602' }],
    [-32002, 'server', { statusCode: '-32002' }],
    // The 2026-07-28 codes: header mismatch, missing required client capability, unsupported protocol version.
    [-32020, 'server', { statusCode: '-32020' }],
    [-32021, 'server', { statusCode: '-32021' }],
    [-32022, 'server', { statusCode: '-32022' }],
    [-32020, 'client', { statusCode: '-32020', errorType: '-32020' }],
    [-32022, 'client', { statusCode: '-32022', errorType: '-32022' }],
    [-32603, 'server', { statusCode: '-32603', errorType: '-32603' }],
    [-32000, 'server', { statusCode: '-32000', errorType: '-32000' }],
    [-32001, 'server', { statusCode: '-32001', errorType: '-32001' }],
    [42, 'server', { statusCode: '42', errorType: '42' }],
    [-32700, 'client', { statusCode: '-32700', errorType: '-32700' }],
    [-32602, 'client', { statusCode: '-32602', errorType: '-32602' }],
    [-32002, 'client', { statusCode: '-32002', errorType: '-32002' }],
    [-32603, 'client', { statusCode: '-32603', errorType: '-32603' }],
    ['-32602', 'server', { errorType: '_OTHER' }],
    [1.5, 'client', { errorType: '_OTHER' }],
    [undefined, 'server', { errorType: '_OTHER' }],
    [Number.MAX_SAFE_INTEGER + 2, 'client', { errorType: '_OTHER' }],
  ];
  for (const [code, side, expected] of table) assert.deepEqual(errorCodeOutcome(code, side), expected, `${String(code)} on the ${side} side`);
});

test('exceptions: the class name as error.type (else _OTHER), the message as description, caller faults recognised', () => {
  class McpError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }
  const bare = Object.create(null);
  bare.name = 'BareError';
  const table = [
    // thrown, error.type, description, caller fault
    [new TypeError('bad'), 'TypeError', 'bad', false],
    [new McpError(-32602, 'invalid params'), 'McpError', 'invalid params', true],
    [new McpError(-32603, 'internal'), 'McpError', 'internal', false],
    [{ code: -32601, message: 'no such method' }, '_OTHER', 'no such method', true],
    // No prototype: String() would throw; the description is still a string.
    [bare, 'BareError', '[object Object]', false],
    ['a string', '_OTHER', 'a string', false],
    [undefined, '_OTHER', undefined, false],
    [null, '_OTHER', 'null', false],
  ];
  for (const [thrown, errorType, description, callerFault] of table) {
    assert.equal(exceptionErrorType(thrown), errorType, String(errorType));
    assert.equal(exceptionMessage(thrown), description, String(description));
    assert.equal(isCallerFault(thrown), callerFault);
  }
  const error = new Error('x');
  assert.equal(asException(error), error);
  assert.equal(asException(42), '42');
  assert.equal(asException(bare), '[object Object]');
});
