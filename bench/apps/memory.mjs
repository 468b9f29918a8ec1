// Memory over one long session: tools/call round trips over the in-memory transport, with a garbage collection and a
// reading of RSS and heap at each checkpoint. `node --expose-gc [preload] memory.mjs 10000,50000` prints one JSON line:
// [{ calls, rssBytes, heapUsedBytes }, ...].
import { setTimeout as sleep } from 'node:timers/promises';
import { callAdd } from './calls-common.mjs';
import { connectInMemory } from './in-memory-pair.mjs';

const checkpoints = process.argv[2].split(',').map(Number);
const client = await connectInMemory();
const readings = [];
let done = 0;
for (const target of checkpoints) {
  for (; done < target; done++) await callAdd(client, done);
  // Let the batch processors export what is queued (their delay is shortened by the runner), then collect.
  await sleep(1500);
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await sleep(50);
  }
  const { rss, heapUsed } = process.memoryUsage();
  readings.push({ calls: done, rssBytes: rss, heapUsedBytes: heapUsed });
}
await client.close();
process.stdout.write(JSON.stringify(readings) + '\n');
