// Unit tests of status.ts's httpRefusalStatus: the HTTP status of a message a client sent that the server refused
// before any JSON-RPC answer, from the shapes each client throws; never a JSON-RPC code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { httpRefusalStatus } = require('../../dist/instrumentation/status.js');

/** SDK v1's StreamableHTTPError: the status as its code. */
class StreamableHTTPError extends Error {
  constructor(code, message) {
    super(`Streamable HTTP error: ${message}`);
    this.code = code;
  }
}
/** SDK v2's SdkHttpError: a string code, the status as a getter over its data. */
class SdkHttpError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
  get status() {
    return this.data.status;
  }
}
/** @ai-sdk/mcp's MCPClientError: `statusCode`. */
class MCPClientError extends Error {
  constructor({ message, statusCode, code }) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}
class UnauthorizedError extends Error {}

test('the status of each client shape; nothing for JSON-RPC codes and other exceptions', () => {
  const table = [
    [new StreamableHTTPError(401, 'Error POSTing to endpoint: nope'), 401],
    [new StreamableHTTPError(404, 'Error POSTing to endpoint: nope'), 404],
    [new StreamableHTTPError(405, 'Error POSTing to endpoint: nope'), 405],
    [new StreamableHTTPError(302, 'Error POSTing to endpoint: redirected'), 302],
    // v1's unexpected content type: -1 is not an HTTP status.
    [new StreamableHTTPError(-1, 'Unexpected content type: text/html'), undefined],
    [new SdkHttpError('CLIENT_HTTP_NOT_IMPLEMENTED', 'Error POSTing to endpoint: nope', { status: 415, statusText: 'Unsupported Media Type' }), 415],
    [new SdkHttpError('CLIENT_HTTP_AUTHENTICATION', 'Server returned 401 after re-authentication', { status: 401 }), 401],
    [new SdkHttpError('CLIENT_HTTP_FORBIDDEN', 'step-up limit', { status: 403 }), 403],
    [new MCPClientError({ message: 'MCP HTTP Transport Error: POSTing to endpoint (HTTP 404): nope', statusCode: 404 }), 404],
    [new MCPClientError({ message: 'Request timed out after 10ms' }), undefined],
    // v1's SSEClientTransport: a plain Error; the status only in its message.
    [new Error('Error POSTing to endpoint (HTTP 403): forbidden'), 403],
    [new Error('Error POSTing to endpoint (HTTP 4031): no'), undefined],
    [new Error('something about Error POSTing to endpoint (HTTP 404)'), undefined],
    // The end of a failed OAuth flow: no status (it may follow a 401 or a 403).
    [new UnauthorizedError('Unauthorized'), undefined],
    // JSON-RPC codes of the SDKs' own errors (timeout, connection closed) and a peer's: never HTTP statuses.
    [Object.assign(new Error('Request timed out'), { code: -32001 }), undefined],
    [Object.assign(new Error('Connection closed'), { code: -32000 }), undefined],
    [Object.assign(new Error('odd'), { code: 600 }), undefined],
    [Object.assign(new Error('odd'), { code: 99 }), undefined],
    [Object.assign(new Error('odd'), { status: 404.5 }), undefined],
    [Object.assign(new Error('odd'), { status: '404' }), undefined],
    [new TypeError('fetch failed'), undefined],
    ['a string', undefined],
    [undefined, undefined],
    [null, undefined],
    [Object.create(null), undefined],
  ];
  for (const [i, [err, expected]] of table.entries()) assert.equal(httpRefusalStatus(err), expected, `row ${i}: ${err?.message}`);
});

test('an error whose getter throws is not a refusal, and the throw does not escape', () => {
  const hostile = new Error('hostile');
  Object.defineProperty(hostile, 'status', {
    get() {
      throw new Error('no');
    },
  });
  assert.equal(httpRefusalStatus(hostile), undefined);
});
