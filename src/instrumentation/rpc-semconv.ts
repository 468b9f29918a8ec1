/**
 * The name of the JSON-RPC error code attribute. The MCP conventions say `rpc.response.status_code`, and that is the
 * default; the RPC conventions, stable since semantic-conventions 1.45, call it `rpc.status_code`, and users migrating
 * their RPC dashboards opt in as for every stable convention: OTEL_SEMCONV_STABILITY_OPT_IN=`rpc` (the stable name
 * only) or `rpc/dup` (both). Read once: the names are resolved when the instrumentation starts, not per span.
 */
import { SemconvStability, semconvStabilityFromStr } from '@opentelemetry/instrumentation';
import { ATTR_RPC_RESPONSE_STATUS_CODE, ATTR_RPC_STATUS_CODE } from './semconv';
import { readSetting } from './settings';

/**
 * The attribute names a JSON-RPC error code is recorded under, for an opt-in list in the variable's syntax: comma-
 * separated, `rpc/dup` winning over `rpc`, other domains' tokens (`http`, `database`) ignored, as upstream reads it.
 */
export function rpcStatusCodeKeys(optIn: string | undefined): readonly string[] {
  const stability = semconvStabilityFromStr('rpc', optIn);
  if (stability === SemconvStability.DUPLICATE) return [ATTR_RPC_RESPONSE_STATUS_CODE, ATTR_RPC_STATUS_CODE];
  if (stability === SemconvStability.STABLE) return [ATTR_RPC_STATUS_CODE];
  return [ATTR_RPC_RESPONSE_STATUS_CODE];
}

/** OTEL_SEMCONV_STABILITY_OPT_IN as it is, for rpcStatusCodeKeys (unset: the default names); its row: settings.ts. */
export function semconvStabilityOptInFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return readSetting('semconvStabilityOptIn', {}, env, () => {});
}
