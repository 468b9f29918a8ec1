// McpInstrumentation in a user's own setup: the `semconvStabilityOptIn` option wins over OTEL_SEMCONV_STABILITY_OPT_IN.
import { test } from 'node:test';
import { finishedSpans, histogramPoints, setUp } from '../helpers/in-memory-otel.mjs';
import { assertCodes, callMissingMethod } from '../helpers/rpc-error-calls.mjs';

process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'rpc/dup';
const sdk = await setUp({ semconvStabilityOptIn: 'rpc' });

test('the option wins over the variable: rpc gives rpc.status_code only', async () => {
  await callMissingMethod(sdk);
  assertCodes(finishedSpans(), await histogramPoints(), { 'rpc.status_code': '-32601' });
});
