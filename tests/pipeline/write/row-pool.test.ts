import fc from 'fast-check';
import { columnBufferFactory } from '../../../src/pipeline/write/column-buffer.js';
import { RowPool } from '../../../src/pipeline/write/row-pool.js';
import type { ColumnType } from '../../../src/pipeline/contract/column-type.js';
import type { RowValue } from '../../../src/pipeline/typing/typed-row.js';

const types: ColumnType[] = [{ kind: 'bigint' }, { kind: 'string' }, { kind: 'boolean' }, { kind: 'decimal', precision: 30, scale: 2 }];
const bytesToText = (value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value);

const rowsArbitrary = fc.array(
  fc.tuple(
    fc.nat({ max: 12 }),
    fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
    fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('Lamp', 'Café', '東京')), { nil: null }),
    fc.option(fc.boolean(), { nil: null }),
    fc.option(fc.bigInt({ min: -(10n ** 30n) + 1n, max: 10n ** 30n - 1n }), { nil: null }),
  ),
  { maxLength: 400 },
);

/** Each owner's rows as given, column by column, strings as text. */
function expected(rows: Array<[number, ...RowValue[]]>, owner: number): unknown[][] {
  const mine = rows.filter(([o]) => o === owner);
  return types.map((_, c) => mine.map((row) => row[c + 1]));
}

describe('RowPool', () => {
  it("gives each owner's rows back exactly and in order, however they were interleaved", () => {
    fc.assert(
      fc.property(rowsArbitrary, (rows) => {
        const pool = new RowPool(types.map(columnBufferFactory), [0, 1, 2, 3]);
        for (const [owner, ...values] of rows) pool.push(values as RowValue[], owner);
        expect(pool.length).toBe(rows.length);
        for (let owner = 0; owner <= 13; owner++) {
          expect(pool.rowsOf(owner).map((column) => column.map(bytesToText))).toEqual(expected(rows as never, owner));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('moves out the owners asked for, and keeps the others in order for more rows', () => {
    fc.assert(
      fc.property(rowsArbitrary, rowsArbitrary, (before, after) => {
        const pool = new RowPool(types.map(columnBufferFactory), [0, 1, 2, 3]);
        for (const [owner, ...values] of before) pool.push(values as RowValue[], owner);
        const moved = new Map<number, unknown[][]>();
        pool.extract(
          (owner) => owner % 3 === 0,
          (owner, columns) => moved.set(owner, columns.map((column) => column.map(bytesToText))),
        );
        for (let owner = 0; owner <= 12; owner += 3) {
          const mine = expected(before as never, owner);
          expect(moved.get(owner) ?? types.map(() => [])).toEqual(mine);
        }
        const kept = (before as Array<[number, ...RowValue[]]>).filter(([o]) => o % 3 !== 0);
        for (const [owner, ...values] of after) if (owner % 3 !== 0) pool.push(values as RowValue[], owner);
        const all = [...kept, ...(after as Array<[number, ...RowValue[]]>).filter(([o]) => o % 3 !== 0)];
        expect(pool.length).toBe(all.length);
        for (let owner = 1; owner <= 12; owner++) {
          if (owner % 3 === 0) continue;
          expect(pool.rowsOf(owner).map((column) => column.map(bytesToText))).toEqual(expected(all, owner));
        }
      }),
      { numRuns: 100 },
    );
  });
});
