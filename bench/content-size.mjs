// What a size costs (OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES): jsonByteSize (content-size.ts, a walk that
// writes nothing) against Buffer.byteLength(JSON.stringify(value)) (which writes the whole JSON), on tool results of
// about 4 MB: one text of plain ASCII, one text with quotes, newlines and non-ASCII (the escape count is needed), and
// 20,000 small structured items. After `npm run build`:
//
//   node bench/content-size.mjs
//
// Median of ROUNDS (default 21) after a warm-up, the two alternating; each line also checks that both give one number.
import { jsonByteSize } from '../dist/instrumentation/content-size.js';

const ROUNDS = Number(process.env.ROUNDS ?? 21);
const MB = 1024 * 1024;
const results = {
  'ascii text': { content: [{ type: 'text', text: 'lorem ipsum dolor sit amet '.repeat(Math.ceil((4 * MB) / 27)) }] },
  'text to escape': { content: [{ type: 'text', text: 'row "é"\t{"k": "v"}\n'.repeat(Math.ceil((4 * MB) / 22)) }] },
  'many items': {
    content: [{ type: 'text', text: 'ok' }],
    structuredContent: {
      items: Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item ${i} ✓`, tags: ['a', 'b'], score: i / 7, ok: i % 2 === 0, note: 'x'.repeat(150) })),
    },
  },
};

const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
function time(fn) {
  const started = performance.now();
  const value = fn();
  return [performance.now() - started, value];
}

for (const [name, value] of Object.entries(results)) {
  const walk = [];
  const stringify = [];
  let sizes;
  for (let round = -3; round < ROUNDS; round++) {
    const [a, walked] = time(() => jsonByteSize(value));
    const [b, written] = time(() => Buffer.byteLength(JSON.stringify(value), 'utf8'));
    sizes = [walked, written];
    if (round >= 0) walk.push(a), stringify.push(b);
  }
  if (sizes[0] !== sizes[1]) throw new Error(`${name}: ${sizes[0]} != ${sizes[1]}`);
  console.log(
    `${name.padEnd(15)} ${(sizes[0] / MB).toFixed(2)} MB  jsonByteSize ${median(walk).toFixed(2)} ms  ` +
      `JSON.stringify+byteLength ${median(stringify).toFixed(2)} ms`,
  );
}
