/**
 * The four MCP duration histograms and the attribute sets they are recorded with (an operation records its duration
 * when it ends: operation.ts).
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_RESULT_TYPE,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_CLIENT_SESSION_DURATION,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_MCP_SERVER_SESSION_DURATION,
} from './semconv';

/** The conventions' explicit bucket boundaries for every MCP duration, in seconds. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export type Side = 'client' | 'server';

export interface McpHistograms {
  operation: Record<Side, Histogram>;
  session: Record<Side, Histogram>;
}

export function createHistograms(meter: Meter): McpHistograms {
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
  return {
    operation: {
      client: histogram(
        METRIC_MCP_CLIENT_OPERATION_DURATION,
        'Duration of an MCP request or notification as seen by the sender.',
      ),
      server: histogram(
        METRIC_MCP_SERVER_OPERATION_DURATION,
        'Duration of an MCP request or notification as seen by the receiver.',
      ),
    },
    session: {
      client: histogram(METRIC_MCP_CLIENT_SESSION_DURATION, 'Duration of an MCP session as seen by the client.'),
      server: histogram(METRIC_MCP_SERVER_SESSION_DURATION, 'Duration of an MCP session as seen by the server.'),
    },
  };
}

/** The session attribute set. */
const SESSION_KEYS = [
  ATTR_ERROR_TYPE,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
];
/**
 * The operation attribute set: the session's and the operation's own. Never the session id, the request id,
 * client.address, arguments or results: each would make a time series per request.
 */
const OPERATION_KEYS = [
  ATTR_MCP_METHOD_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_MCP_RESULT_TYPE,
  ...SESSION_KEYS,
];
/**
 * The server's identity, on the client's points only: a client chooses the servers it talks to, while any client can
 * name itself anything to a server (a time series per made-up name).
 */
const SERVER_IDENTITY_KEYS = [ATTR_MCP_SERVER_NAME, ATTR_MCP_SERVER_VERSION];

export interface OperationKeyOptions {
  withResourceUri: boolean;
  withPeerIdentity: boolean;
  /** The name(s) the JSON-RPC error code is recorded under (rpc-semconv.ts). */
  statusCodeKeys?: readonly string[];
}

/** The operation attribute keys of each side. */
export function operationKeys({
  withResourceUri,
  withPeerIdentity,
  statusCodeKeys = [ATTR_RPC_RESPONSE_STATUS_CODE],
}: OperationKeyOptions): Record<Side, string[]> {
  const server = [...OPERATION_KEYS, ...statusCodeKeys, ...(withResourceUri ? [ATTR_MCP_RESOURCE_URI] : [])];
  const client = withPeerIdentity ? [...server, ...SERVER_IDENTITY_KEYS] : server;
  return { client, server };
}

export function pick(attributes: Attributes, keys: readonly string[] = SESSION_KEYS): Attributes {
  const picked: Attributes = {};
  for (const key of keys) {
    const value = attributes[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

export function secondsSince(startMillis: number): number {
  return (performance.now() - startMillis) / 1000;
}
