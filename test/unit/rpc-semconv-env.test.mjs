// McpInstrumentation in a user's own setup (no preload): without the option, OTEL_SEMCONV_STABILITY_OPT_IN is read
// when the instrumentation starts; `rpc/dup` records a JSON-RPC error code under both names, on both sides' spans and
// operation metrics. (The option's own test is rpc-semconv-option.test.mjs: one instrumentation per process.)
import { test } from 'node:test';
import { finishedSpans, histogramPoints, setUp } from '../helpers/in-memory-otel.mjs';
import { assertCodes, callMissingMethod } from '../helpers/rpc-error-calls.mjs';

process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'http,rpc/dup';
const sdk = await setUp({});

test('the variable, read once at start: rpc/dup gives both names', async () => {
  await callMissingMethod(sdk);
  assertCodes(finishedSpans(), await histogramPoints(), { 'rpc.response.status_code': '-32601', 'rpc.status_code': '-32601' });
});
