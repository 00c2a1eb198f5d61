import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DirectoryObjectStore } from '../../../src/adapters/local/directory-store.js';
import type { FileColumn } from '../../../src/pipeline/write/parquet.js';
import { PartitionedParquetWriter, type PartitionedWriterOptions } from '../../../src/pipeline/write/partitioned-writer.js';

const columns: FileColumn[] = [
  { name: 'id', type: { kind: 'bigint' }, required: true },
  { name: 'note', type: { kind: 'string' }, required: false },
  { name: 'day', type: { kind: 'date' }, required: true },
];

describe('PartitionedParquetWriter', () => {
  let dir: string;
  let store: DirectoryObjectStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'glueless-writer-'));
    store = new DirectoryObjectStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function write(rows: number, options: Partial<PartitionedWriterOptions>) {
    const writer = new PartitionedParquetWriter({
      store,
      columns,
      rowIndexes: [0, 1, 2],
      keyFor: (partition) => `${partition}part.parquet`,
      rowGroupSize: 1000,
      maxBufferedRows: 1_000_000,
      ...options,
    });
    for (let i = 0; i < rows; i++) {
      const day = i % 4;
      await writer.add([BigInt(i), i % 3 === 0 ? null : `note ${i} ${'·'.repeat(i % 50)}`, day], `day=${day}/`);
    }
    return writer.finish();
  }

  async function readBack(key: string) {
    const bytes = await readFile(path.join(dir, key));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return { rowGroups: parquetMetadata(file).row_groups.map((g) => Number(g.num_rows)), rows: await parquetReadObjects({ file }) };
  }

  it.each([['buffers of their own', {}], ['rows first in the shared pool', { ownBuffersFirst: 0 }]])('writes every row once, to its partition, in full row groups (%s)', async (_name, options) => {
    const outputs = await write(10_000, options);
    expect(outputs.map((o) => [o.partition, o.rows])).toEqual([0, 1, 2, 3].map((d) => [`day=${d}/`, 2500]));
    for (const [d, output] of outputs.entries()) {
      const { rowGroups, rows } = await readBack(output.key);
      expect(rowGroups).toEqual([1000, 1000, 500]);
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 2500 }, (_, i) => BigInt(i * 4 + d)));
      for (const row of rows) {
        const i = Number(row.id);
        expect(row.note).toBe(i % 3 === 0 ? null : `note ${i} ${'·'.repeat(i % 50)}`);
      }
    }
  });

  it('writes each row group its own min and max, though buffers are reused between row groups', async () => {
    const outputs = await write(40_000, {});
    for (const output of outputs) {
      const bytes = await readFile(path.join(dir, output.key));
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const metadata = parquetMetadata(file);
      const rows = await parquetReadObjects({ file });
      let start = 0;
      for (const group of metadata.row_groups) {
        const notes = rows.slice(start, start + Number(group.num_rows)).map((r) => r.note as string | null).filter((n) => n !== null);
        start += Number(group.num_rows);
        const sorted = notes.map((n) => Buffer.from(n)).sort(Buffer.compare);
        const statistics = group.columns[1]!.meta_data!.statistics!;
        // The writer may shorten long bounds: a min may be a prefix of the smallest value, a max is then rounded up.
        const [min, max] = [Buffer.from(String(statistics.min_value)), Buffer.from(String(statistics.max_value))];
        expect(sorted[0]!.subarray(0, min.length).equals(min)).toBe(true);
        expect(Buffer.compare(max, sorted.at(-1)!)).toBeGreaterThanOrEqual(0);
        expect(Buffer.compare(max.subarray(0, max.length - 2), sorted.at(-1)!.subarray(0, max.length - 2))).toBe(0);
      }
    }
  });

  it('writes the largest buffer early when the buffered bytes pass their bound', async () => {
    const outputs = await write(10_000, { maxBufferedBytes: 32 * 1024 });
    let total = 0;
    for (const output of outputs) {
      const { rowGroups, rows } = await readBack(output.key);
      // Unbounded, each file would be 1000 + 1000 + 500 rows.
      expect(rowGroups.length).toBeGreaterThan(3);
      expect(Math.min(...rowGroups)).toBeLessThan(500);
      total += rows.length;
    }
    expect(total).toBe(10_000);
  });

  it('writes the largest buffer early when the buffered rows pass their bound', async () => {
    const outputs = await write(4000, { maxBufferedRows: 400 });
    for (const output of outputs) {
      const { rowGroups } = await readBack(output.key);
      expect(rowGroups.reduce((a, b) => a + b)).toBe(1000);
      expect(Math.max(...rowGroups)).toBeLessThanOrEqual(401);
    }
  });

  it('sends held bytes to their objects once they pass their bound, and not before', async () => {
    const opened: string[] = [];
    const counting = Object.create(store) as DirectoryObjectStore;
    counting.openSink = (key: string) => (opened.push(key), store.openSink(key));
    const run = async (maxPendingBytes: number | undefined) => {
      opened.length = 0;
      const writer = new PartitionedParquetWriter({
        store: counting, columns, rowIndexes: [0, 1, 2], keyFor: (p) => `${p}part.parquet`, rowGroupSize: 200,
        maxBufferedRows: 1_000_000, maxPendingBytes,
      });
      for (let i = 0; i < 4000; i++) await writer.add([BigInt(i), `note ${i}`, i % 4], `day=${i % 4}/`);
      const openedEarly = opened.length;
      const outputs = await writer.finish();
      return { openedEarly, rows: outputs.reduce((sum, o) => sum + o.rows, 0) };
    };
    expect(await run(undefined)).toEqual({ openedEarly: 0, rows: 4000 });
    const bounded = await run(4096);
    expect(bounded.openedEarly).toBeGreaterThan(0);
    expect(bounded.rows).toBe(4000);
  });

  it('completes thousands of small partitions, each file whole', async () => {
    const writer = new PartitionedParquetWriter({
      store, columns, rowIndexes: [0, 1, 2], keyFor: (p) => `${p}part.parquet`, rowGroupSize: 1000, maxBufferedRows: 1_000_000,
    });
    for (let i = 0; i < 4500; i++) await writer.add([BigInt(i), null, i % 1500], `day=${i % 1500}/`);
    const outputs = await writer.finish();
    expect(outputs).toHaveLength(1500);
    expect(outputs.slice(0, 2).map((o) => o.partition)).toEqual(['day=0/', 'day=1/']);
    for (const output of [outputs[0]!, outputs[1234]!, outputs[1499]!]) {
      const day = Number(/day=(\d+)/.exec(output.partition)![1]);
      expect((await readBack(output.key)).rows.map((r) => r.id)).toEqual([0, 1, 2].map((k) => BigInt(day + k * 1500)));
    }
  });

  it('writes a small file in one write, never opening a stream, and its few values PLAIN, without a dictionary page', async () => {
    const calls = { opened: 0, written: 0 };
    const counting = Object.create(store) as DirectoryObjectStore;
    counting.openSink = (key: string) => (calls.opened++, store.openSink(key));
    counting.write = (key: string, body: Uint8Array | string) => (calls.written++, store.write(key, body));
    const writer = new PartitionedParquetWriter({
      store: counting, columns, rowIndexes: [0, 1, 2], keyFor: (p) => `${p}part.parquet`, rowGroupSize: 1000, maxBufferedRows: 1_000_000,
    });
    // 12 rows of one partition (each note repeated: a dictionary's case, were there more of them); 3,000 of another.
    for (let i = 0; i < 12; i++) await writer.add([BigInt(i), 'same note', 1], 'day=1/');
    for (let i = 0; i < 3000; i++) await writer.add([BigInt(i), 'same note', 2], 'day=2/');
    const [small, large] = await writer.finish();
    expect(calls).toEqual({ opened: 0, written: 2 });
    const encodings = async (key: string) => {
      const bytes = await readFile(path.join(dir, key));
      const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      return meta.row_groups[0]!.columns.map((c) => [c.meta_data!.encodings, c.meta_data!.dictionary_page_offset !== undefined]);
    };
    expect(await encodings(small!.key)).toEqual([[['PLAIN'], false], [['PLAIN'], false], [['PLAIN'], false]]);
    expect((await encodings(large!.key))[1]).toEqual([['PLAIN', 'RLE_DICTIONARY'], true]);
    expect((await readBack(small!.key)).rows.map((r) => [r.id, r.note])).toEqual(Array.from({ length: 12 }, (_, i) => [BigInt(i), 'same note']));
  });

  it('leaves small files’ writes in flight while it encodes the next (up to 64), and returns once all are done', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = Object.create(store) as DirectoryObjectStore;
    // A PutObject's round trip, roughly.
    slow.write = async (key: string, body: Uint8Array | string) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight--;
      return store.write(key, body);
    };
    const writer = new PartitionedParquetWriter({
      store: slow, columns, rowIndexes: [0, 1, 2], keyFor: (p) => `${p}part.parquet`, rowGroupSize: 1000, maxBufferedRows: 1_000_000,
    });
    for (let i = 0; i < 600; i++) await writer.add([BigInt(i), null, i % 300], `day=${i % 300}/`);
    const outputs = await writer.finish();
    expect(inFlight).toBe(0);
    expect(most).toBeGreaterThan(8);
    expect(most).toBeLessThanOrEqual(64);
    expect(outputs.map((o) => o.rows)).toEqual(Array(300).fill(2));
    expect((await readBack(outputs[299]!.key)).rows.map((r) => r.id)).toEqual([299n, 599n]);
  });

  it('fails, not hangs, when the store refuses a small file at once (synchronously) or later', async () => {
    for (const refuse of ['at once', 'later'] as const) {
      const refusing = Object.create(store) as DirectoryObjectStore;
      let calls = 0;
      refusing.write = ((key: string, body: Uint8Array | string) => {
        if (++calls !== 150) return store.write(key, body);
        if (refuse === 'at once') throw new Error('disk full (at once)');
        return Promise.reject(new Error('disk full (later)'));
      }) as DirectoryObjectStore['write'];
      const writer = new PartitionedParquetWriter({
        store: refusing, columns, rowIndexes: [0, 1, 2], keyFor: (p) => `${p}part.parquet`, rowGroupSize: 1000, maxBufferedRows: 1_000_000,
        ownBuffersFirst: 0,
      });
      for (let i = 0; i < 600; i++) await writer.add([BigInt(i), null, i % 300], `day=${i % 300}/`);
      await expect(writer.finish()).rejects.toThrow(`disk full (${refuse})`);
    }
  });

  it('keeps every partition\'s rows in order whether they waited in the shared pool, left it, or were written early', async () => {
    // 400 partitions from 1 to ~300 rows, interleaved; those past 64 rows leave the pool for buffers of their own,
    // and a low bound on buffered rows writes some of those early.
    const writer = new PartitionedParquetWriter({
      store, columns, rowIndexes: [0, 1, 2], keyFor: (p) => `${p}part.parquet`, rowGroupSize: 100, maxBufferedRows: 500, ownBuffersFirst: 20,
    });
    const sizes = Array.from({ length: 400 }, (_, p) => (p % 7 === 0 ? 150 + (p % 150) : 1 + (p % 40)));
    const left = [...sizes];
    const added = new Map<number, bigint[]>();
    let id = 0n;
    for (let turn = 0; left.some((n) => n > 0); turn++) {
      for (let p = (turn * 13) % 400, seen = 0; seen < 400; p = (p + 1) % 400, seen++) {
        if (left[p]! === 0 || (p + turn) % 3 === 0) continue;
        left[p]!--;
        const rowId = id++;
        added.set(p, [...(added.get(p) ?? []), rowId]);
        await writer.add([rowId, rowId % 5n === 0n ? null : `n${rowId}`, p], `p=${p}/`);
      }
    }
    const outputs = await writer.finish();
    expect(outputs.length).toBe(400);
    for (const output of outputs) {
      const p = Number(output.partition.slice(2, -1));
      const { rows, rowGroups } = await readBack(output.key);
      expect(rows.map((r) => r.id)).toEqual(added.get(p));
      expect(rows.map((r) => r.note)).toEqual(added.get(p)!.map((i) => (i % 5n === 0n ? null : `n${i}`)));
      expect(Math.max(...rowGroups)).toBeLessThanOrEqual(100);
    }
  });

  it('writes full row groups when they are smaller than what the pool holds for a partition', async () => {
    const writer = new PartitionedParquetWriter({
      store, columns, rowIndexes: [0, 1, 2], keyFor: (p) => `${p}part.parquet`, rowGroupSize: 10, maxBufferedRows: 1_000_000, ownBuffersFirst: 0,
    });
    for (let i = 0; i < 105; i++) await writer.add([BigInt(i), `n${i}`, i % 3], `p=${i % 3}/`);
    for (const output of await writer.finish()) {
      const { rows, rowGroups } = await readBack(output.key);
      expect(rowGroups).toEqual([10, 10, 10, 5]);
      const p = Number(output.partition.slice(2, -1));
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 35 }, (_, k) => BigInt(k * 3 + p)));
    }
  });
});

