import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { ParquetFileWriter, parquetSchema, type FileColumn } from '../../../src/pipeline/write/parquet.js';
import { isSmallRowGroup } from '../../../src/pipeline/write/small-row-group.js';
import { encodeSmallFile } from '../../../src/pipeline/write/small-file.js';
import { columnBufferFactory } from '../../../src/pipeline/write/column-buffer.js';
import { RowPool } from '../../../src/pipeline/write/row-pool.js';
import { pooledRows, poolOf, smallRowGroupEncodings } from '../../support/pooled-rows.js';
import { snappyOfInputAlone } from '../../../src/pipeline/write/snappy.js';

/** The file `ParquetFileWriter` writes for an owner's rows gathered out of the pool (held to hyparquet-writer's bytes). */
async function gatheredFileBytes(columns: FileColumn[], pool: RowPool, owner: number): Promise<Uint8Array> {
  let put: Uint8Array | undefined;
  const target = {
    open: () => Promise.reject(new Error('a small file is put whole')),
    put: async (bytes: Uint8Array) => ((put = bytes.slice()), bytes.length),
  };
  const writer = new ParquetFileWriter(columns, target, undefined, snappyOfInputAlone);
  const { start, end } = pool.placeOf(owner);
  await writer.writeRowGroup(pool.rowsOf(owner), end - start);
  await writer.close();
  return put!;
}


describe('encodeSmallFile', () => {
  it("writes ParquetFileWriter's bytes for the same rows gathered from the pool: any flat columns, nulls, statistics, long strings, dictionaries that gave up", async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(pooledRows, async (spec) => {
        const { columns } = spec;
        const pool = poolOf(spec);
        for (let owner = 0; owner <= 3; owner++) {
          const { columns: buffers, rows, start, end } = pool.placeOf(owner);
          if (end === start) continue;
          const ours = encodeSmallFile(columns, buffers, rows, start, end, snappyOfInputAlone);
          if (!isSmallRowGroup(parquetSchema(columns), end - start, smallRowGroupEncodings(columns))) {
            expect(ours).toBeUndefined();
            continue;
          }
          compared++;
          expect(ours).toBeDefined();
          const expected = await gatheredFileBytes(columns, pool, owner);
          expect(Buffer.from(ours!).equals(Buffer.from(expected))).toBe(true);
        }
      }),
      // The runs of the two property tests this one stands for (the pool-read pages and the whole file): 120 + 150.
      { numRuns: 270 },
    );
    expect(compared).toBeGreaterThan(100);
  });

  it('keeps the min and max right for strings kept as block bytes, an empty one next to one that starts where it ends', async () => {
    const columns: FileColumn[] = [{ name: 'note', type: { kind: 'string' }, required: true }];
    // Distinct strings of another owner first: the dictionary gives up, and later strings are block bytes.
    const pool = poolOf({ columns, rows: [[0, ['']], [0, ['x']], [0, ['']]], givenUp: true });
    const { columns: buffers, rows, start, end } = pool.placeOf(0);
    const ours = encodeSmallFile(columns, buffers, rows, start, end, snappyOfInputAlone)!;
    expect(Buffer.from(ours).equals(Buffer.from(await gatheredFileBytes(columns, pool, 0)))).toBe(true);
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
