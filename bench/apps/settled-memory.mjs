// The memory reading of the memory benchmarks (run with --expose-gc): after the batch processors have exported what
// is queued (the runner shortens their delay to 200 ms) and three garbage collections.
import { setTimeout as sleep } from 'node:timers/promises';

/** RSS and heap in bytes, once what can be collected has been. */
export async function settledMemory() {
  await sleep(1500);
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await sleep(50);
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed };
}
