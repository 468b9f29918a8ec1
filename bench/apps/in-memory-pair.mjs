// The in-process setup of the in-memory, memory and toggle benchmarks, in a module of its own so that the stdio server
// (whose startup is timed) loads no client code.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { addServer } from './calls-common.mjs';

/** A Client connected to an addServer() in this process over the SDK's in-memory transport. */
export async function connectInMemory() {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await addServer().connect(serverTransport);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(clientTransport);
  return client;
}
