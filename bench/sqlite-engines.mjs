// The view's store pattern on two SQLite engines: Node's built-in node:sqlite (what the view uses) and better-sqlite3
// (a native addon, for comparison only: not a dependency). The same schema, statements and batches as
// src/view/store.ts: a span row (a ~1 KB JSON record), an operations row, two indexes, transactions of 512, the oldest
// rows deleted past a cap of 100,000.
//   node bench/sqlite-engines.mjs [--rows 500000] [--better /path/to/node_modules/better-sqlite3]
// better-sqlite3 builds from source here (its prebuilt binaries come from GitHub):
//   mkdir /tmp/bsq && cd /tmp/bsq && npm init -y && npm install better-sqlite3@12 --build-from-source \
//     --nodedir=<a Node's own directory, with include/node>
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const rows = Number(args[args.indexOf('--rows') + 1] || 500_000);
const betterPath = args.includes('--better') ? args[args.indexOf('--better') + 1] : undefined;
const BATCH = 512;
const CAP = 100_000;

const SCHEMA = `
CREATE TABLE spans (id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, resource_id INTEGER NOT NULL,
  start_ms REAL NOT NULL, record TEXT NOT NULL);
CREATE INDEX spans_by_trace ON spans (trace_id);
CREATE TABLE operations (id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, service TEXT NOT NULL, method TEXT NOT NULL,
  target TEXT, start_ms REAL NOT NULL, outcome TEXT NOT NULL, session TEXT NOT NULL);
CREATE INDEX operations_by_session ON operations (session, start_ms);`;

const record = (n) =>
  JSON.stringify({
    name: 'tools/call forecast',
    kind: 2,
    startMs: 1_750_000_000_000 + n,
    endMs: 1_750_000_000_003.5 + n,
    attributes: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`attribute.key.${i}`, `value ${i} of span ${n}`])),
    events: [],
    links: [],
    status: { code: 0 },
  });

function run(name, open) {
  const db = open();
  db.exec(SCHEMA);
  const insertSpan = db.prepare('INSERT INTO spans (trace_id, span_id, resource_id, start_ms, record) VALUES (?, ?, ?, ?, ?)');
  const insertOperation = db.prepare(
    'INSERT INTO operations (id, trace_id, service, method, target, start_ms, outcome, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const dropSpans = db.prepare('DELETE FROM spans WHERE id < ?');
  const dropOperations = db.prepare('DELETE FROM operations WHERE id < ?');
  let first = 1;
  const started = performance.now();
  for (let n = 0; n < rows; n += BATCH) {
    db.exec('BEGIN');
    for (let i = n; i < n + BATCH; i++) {
      const trace = (i >> 2).toString(16).padStart(32, '0');
      const id = Number(insertSpan.run(trace, i.toString(16).padStart(16, '0'), 1, i, record(i)).lastInsertRowid);
      if (i % 3 === 0) insertOperation.run(id, trace, 'bench', 'tools/call', 'forecast', i, 'ok', `session-${i % 50}`);
    }
    const kept = n + BATCH - first + 1;
    if (kept > CAP) {
      first += kept - CAP;
      dropSpans.run(first);
      dropOperations.run(first);
    }
    db.exec('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  console.log(`${name.padEnd(16)} ${Math.round(rows / seconds).toLocaleString('en').padStart(9)} rows/s (${rows} rows, ${seconds.toFixed(1)} s)`);
}

console.log(`node ${process.version}, ${rows} span rows in transactions of ${BATCH}, capped at ${CAP}, in memory`);
const { DatabaseSync } = require('node:sqlite');
run('node:sqlite', () => new DatabaseSync(':memory:'));
if (betterPath) {
  const Better = require(betterPath);
  run('better-sqlite3', () => new Better(':memory:'));
}
