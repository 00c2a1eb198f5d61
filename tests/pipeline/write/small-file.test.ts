import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { ParquetFileWriter, type FileColumn } from '../../../src/pipeline/write/parquet.js';
import { encodeSmallFile } from '../../../src/pipeline/write/small-file.js';
import { columnBufferFactory } from '../../../src/pipeline/write/column-buffer.js';
import { RowPool } from '../../../src/pipeline/write/row-pool.js';
import { pooledRows, poolOf } from '../../support/pooled-rows.js';
import { snappyOfInputAlone } from '../../../src/pipeline/write/snappy.js';

/** The file `ParquetFileWriter` writes for a small row group of pooled rows, or undefined where it does not take them so. */
async function fileWriterBytes(columns: FileColumn[], pool: RowPool, owner: number): Promise<Uint8Array | undefined> {
  let put: Uint8Array | undefined;
  const target = {
    open: () => Promise.reject(new Error('a small file is put whole')),
    put: async (bytes: Uint8Array) => ((put = bytes.slice()), bytes.length),
  };
  const writer = new ParquetFileWriter(columns, target, undefined, snappyOfInputAlone);
  const { columns: buffers, rows, start, end } = pool.placeOf(owner);
  if (!(await writer.writeSmallRowGroupOfRows(buffers, rows, start, end))) return undefined;
  await writer.close();
  return put;
}

describe('encodeSmallFile', () => {
  it("writes ParquetFileWriter's bytes for a small row group of pooled rows: any flat columns, nulls, statistics, long strings", async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(pooledRows, async (spec) => {
        const { columns } = spec;
        const pool = poolOf(spec);
        for (let owner = 0; owner <= 3; owner++) {
          const { columns: buffers, rows, start, end } = pool.placeOf(owner);
          if (end === start) continue;
          const expected = await fileWriterBytes(columns, pool, owner);
          const ours = encodeSmallFile(columns, buffers, rows, start, end, snappyOfInputAlone);
          if (expected === undefined) {
            expect(ours).toBeUndefined();
            continue;
          }
          compared++;
          expect(ours).toBeDefined();
          expect(Buffer.from(ours!).equals(Buffer.from(expected))).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
    expect(compared).toBeGreaterThan(100);
  });

  it('is a file any reader reads, and leaves more rows (or booleans past 16) to the file writer', async () => {
    const columns: FileColumn[] = [
      { name: 'id', type: { kind: 'bigint' }, required: true },
      { name: 'product', type: { kind: 'string' }, required: false },
      { name: 'amount', type: { kind: 'decimal', precision: 10, scale: 2 }, required: true, statistics: false },
      { name: 'shipped', type: { kind: 'boolean' }, required: false },
    ];
    const pool = new RowPool(columns.map((c) => columnBufferFactory(c.type)), [0, 1, 2, 3]);
    for (let i = 0; i < 20; i++) pool.push([BigInt(i), i % 3 ? `product ${i} with a name longer than sixteen bytes` : null, BigInt(i * 150), i % 2 === 0], i < 5 ? 0 : 1);
    const five = pool.placeOf(0);
    const file = encodeSmallFile(columns, five.columns, five.rows, five.start, five.end)!;
    const read = await parquetReadObjects({ file: file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer });
    expect(read).toEqual([0, 1, 2, 3, 4].map((i) => ({
      id: BigInt(i),
      product: i % 3 ? `product ${i} with a name longer than sixteen bytes` : null,
      amount: i * 1.5,
      shipped: i % 2 === 0,
    })));
    const fifteen = pool.placeOf(1);
    expect(fifteen.end - fifteen.start).toBe(15);
    expect(encodeSmallFile(columns, fifteen.columns, fifteen.rows, fifteen.start, fifteen.end)).toBeDefined();
    for (let i = 20; i < 22; i++) pool.push([BigInt(i), null, 0n, true], 1);
    const seventeen = pool.placeOf(1);
    expect(encodeSmallFile(columns, seventeen.columns, seventeen.rows, seventeen.start, seventeen.end)).toBeUndefined();
  });
});
