import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { columnBufferFactory } from '../../../src/pipeline/write/column-buffer.js';
import type { FileColumn } from '../../../src/pipeline/write/parquet.js';
import { RepeatedChunks, type RepeatedChunk } from '../../../src/pipeline/write/repeated-chunks.js';
import { RowPool } from '../../../src/pipeline/write/row-pool.js';
import { encodeSmallFile } from '../../../src/pipeline/write/small-file.js';
import { snappyOfInputAlone } from '../../../src/pipeline/write/snappy.js';
import type { RowValue } from '../../../src/pipeline/typing/typed-row.js';
import { ROW_KINDS } from '../../support/pooled-rows.js';

/** Counts the chunks copied from the memo instead of encoded. */
class CountingChunks extends RepeatedChunks {
  copied = 0;
  override get(column: number, rows: number, key: string): RepeatedChunk | undefined {
    const chunk = super.get(column, rows, key);
    if (chunk) this.copied++;
    return chunk;
  }
}

/** How an owner's rows fill a column: one of two values in every row, null in every row, or values of their own. */
type Fill = 0 | 1 | 'null' | 'random';

const owners = fc.nat({ max: ROW_KINDS.length - 1 }).chain((kind) => {
  const value = ROW_KINDS[kind]!.value;
  return fc.record({ kind: fc.constant(kind), required: fc.boolean(), statistics: fc.boolean(), constants: fc.tuple(value, value), random: fc.array(value, { minLength: 8, maxLength: 8 }) });
});

const spec = fc.record({
  columns: fc.array(owners, { minLength: 1, maxLength: 8 }),
  files: fc.array(fc.record({ rows: fc.integer({ min: 1, max: 5 }), fills: fc.array(fc.constantFrom<Fill>(0, 1, 'null', 'random'), { minLength: 8, maxLength: 8 }) }), { minLength: 2, maxLength: 12 }),
});

describe('RepeatedChunks', () => {
  it('gives a small file the bytes it has encoded afresh, whatever columns hold one value and whichever files came before', async () => {
    let copiedInAll = 0;
    await fc.assert(
      fc.asyncProperty(spec, async ({ columns: specs, files }) => {
        const columns: FileColumn[] = specs.map((s, i) => ({ name: `c${i}`, type: ROW_KINDS[s.kind]!.type, required: s.required, statistics: s.statistics }));
        const pool = new RowPool(columns.map((c) => columnBufferFactory(c.type)), columns.map((_, i) => i));
        files.forEach((file, owner) => {
          for (let r = 0; r < file.rows; r++) {
            const values: RowValue[] = specs.map((s, c) => {
              const fill = file.fills[c]!;
              if (fill === 'null') return s.required ? s.constants[0] : null;
              return fill === 'random' ? s.random[(r + owner) % 8]! : s.constants[fill];
            });
            pool.push(values, owner);
          }
        });
        const repeated = new CountingChunks();
        // Twice over: the second pass finds every one-value chunk kept.
        for (let pass = 0; pass < 2; pass++) {
          for (let owner = 0; owner < files.length; owner++) {
            const { columns: buffers, rows, start, end } = pool.placeOf(owner);
            const fresh = encodeSmallFile(columns, buffers, rows, start, end, snappyOfInputAlone);
            const copied = encodeSmallFile(columns, buffers, rows, start, end, snappyOfInputAlone, repeated);
            expect(copied === undefined).toBe(fresh === undefined);
            if (fresh) expect(Buffer.from(copied!).equals(Buffer.from(fresh))).toBe(true);
          }
        }
        copiedInAll += repeated.copied;
      }),
      { numRuns: 150 },
    );
    expect(copiedInAll).toBeGreaterThan(100);
  });

  it("copies the lineage columns' chunks from file to file, and the files read back whole", async () => {
    const columns: FileColumn[] = [
      { name: 'id', type: { kind: 'bigint' }, required: true },
      { name: 'amount', type: { kind: 'double' }, required: true },
      { name: '_source_key', type: { kind: 'string' }, required: false, statistics: false },
      { name: '_ingested_at', type: { kind: 'timestamp' }, required: false, statistics: false },
    ];
    const pool = new RowPool(columns.map((c) => columnBufferFactory(c.type)), [0, 1, 2, 3]);
    const key = 'sales/orders/2026-12-06.csv';
    const at = Date.UTC(2026, 11, 6, 21, 30);
    // Three files of three rows; amount holds one value in each file too: 0 in the first two, -0 in the third (other bits).
    for (let i = 0; i < 9; i++) pool.push([BigInt(i), i < 6 ? 0 : -0, key, at], Math.floor(i / 3));
    const repeated = new CountingChunks();
    const read = [];
    for (let owner = 0; owner < 3; owner++) {
      const { columns: buffers, rows, start, end } = pool.placeOf(owner);
      const file = encodeSmallFile(columns, buffers, rows, start, end, snappyOfInputAlone, repeated)!;
      read.push(...(await parquetReadObjects({ file: file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer })));
    }
    // The first file encodes the two lineage chunks and amount's; the next two copy the lineage, the second amount's.
    expect(repeated.copied).toBe(5);
    expect(read.map((row) => row.id)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    expect(new Set(read.map((row) => `${row._source_key} ${(row._ingested_at as Date).getTime()}`))).toEqual(new Set([`${key} ${at}`]));
    expect(read.map((row) => Object.is(row.amount, -0))).toEqual([false, false, false, false, false, false, true, true, true]);
  });
});
