/**
 * `npx tsx bench/jsonl.ts [--events 200000]`: how fast JSON lines go, on generated clickstream events — the framing
 * scan alone, framing + parse + field mapping (the reader), JSON.parse of the same lines for scale, the reader on the
 * same events made flat (no nested `context`: the flat-record path, jsonl-flat-record.ts), and a whole conversion into
 * a local lake (processObject). Prints MB/s and records/s; nothing is asserted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openLocalLake } from '../src/adapters/local/local-lake.js';
import { openJsonLinesReader, frameJsonRecords } from '../src/pipeline/read/jsonl.js';
import { processObject } from '../src/pipeline/run/run.js';
import { parseContract } from '../src/pipeline/schema/parse-contract.js';
import { clickstreamLines } from '../scripts/clickstream-jsonl.js';

const at = process.argv.indexOf('--events');
const events = at >= 0 ? Number(process.argv[at + 1]) : 200_000;
const lines = clickstreamLines({ events });
const text = `${lines.join('\n')}\n`;
const bytes = new TextEncoder().encode(text);
const flatBytes = new TextEncoder().encode(
  `${lines.map((line) => JSON.stringify({ ...(JSON.parse(line) as Record<string, unknown>), context: undefined })).join('\n')}\n`,
);
const contract = parseContract(await readFile('datasets/clickstream_events.yaml', 'utf8'), 'clickstream_events.yaml');
async function* source(of = bytes) {
  for (let i = 0; i < of.length; i += 64 * 1024) yield of.subarray(i, i + 64 * 1024);
}

async function time(label: string, run: () => Promise<number>, size = bytes.length) {
  const start = process.hrtime.bigint();
  const records = await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(34)} ${(size / 1e6 / seconds).toFixed(1).padStart(6)} MB/s ${Math.round(records / seconds).toLocaleString('en-US').padStart(10)} records/s`);
}

async function readAll(of: typeof bytes): Promise<number> {
  const reader = await openJsonLinesReader(source(of), { fileName: 'bench', contract });
  let n = 0;
  for (let batch = await reader.batches.next(); !batch.done; batch = await reader.batches.next()) n += batch.value.length;
  return n;
}

console.log(`${events.toLocaleString('en-US')} clickstream events, ${(bytes.length / 1e6).toFixed(1)} MB of JSON lines`);
await time('framing only', async () => {
  let n = 0;
  for await (const batch of frameJsonRecords(source(), { fileName: 'bench' })) n += batch.length;
  return n;
});
await time('JSON.parse per line (for scale)', async () => {
  let n = 0;
  for (const line of text.split('\n')) if (line) (JSON.parse(line), n++);
  return n;
});
await time('reader (frame + parse + fields)', () => readAll(bytes));
await time('reader, the events made flat', () => readAll(flatBytes), flatBytes.length);
const dir = await mkdtemp(path.join(tmpdir(), 'glueless-bench-jsonl-'));
try {
  const local = await openLocalLake(path.join(dir, 'lake'));
  await local.lake.raw.write('clickstream/events/bench.jsonl', bytes);
  await time('whole conversion (processObject)', async () => (await processObject('clickstream/events/bench.jsonl', contract, local.lake)).rowsWritten);
} finally {
  await rm(dir, { recursive: true, force: true });
}
