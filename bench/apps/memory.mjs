// Memory over one long session: tools/call round trips over the in-memory transport, with a garbage collection and a
// reading of RSS and heap at each checkpoint. `node --expose-gc [preload] memory.mjs 10000,50000` prints one JSON line:
// [{ calls, rssBytes, heapUsedBytes }, ...].
import { callAdd } from './calls-common.mjs';
import { connectInMemory } from './in-memory-pair.mjs';
import { settledMemory } from './settled-memory.mjs';

const checkpoints = process.argv[2].split(',').map(Number);
const client = await connectInMemory();
const readings = [];
let done = 0;
for (const target of checkpoints) {
  for (; done < target; done++) await callAdd(client, done);
  readings.push({ calls: done, ...(await settledMemory()) });
}
await client.close();
process.stdout.write(JSON.stringify(readings) + '\n');
