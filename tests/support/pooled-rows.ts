import fc from 'fast-check';
import type { ColumnType } from '../../src/pipeline/contract/column-type.js';
import { columnBufferFactory } from '../../src/pipeline/write/column-buffer.js';
import type { FileColumn } from '../../src/pipeline/write/parquet.js';
import { RowPool } from '../../src/pipeline/write/row-pool.js';
import { SMALL_ROW_GROUP } from '../../src/pipeline/write/small-row-group.js';
import type { RowValue } from '../../src/pipeline/typing/typed-row.js';

/** Each kind of column with the values a typed row holds for it (what a column buffer is given). */
export const ROW_KINDS: Array<{ type: ColumnType; value: fc.Arbitrary<RowValue> }> = [
  { type: { kind: 'string' }, value: fc.string({ unit: 'binary', maxLength: 24 }) },
  { type: { kind: 'string' }, value: fc.constantFrom('Laptop Stand', 'Desk Lamp', '', 'USB-C Hub') },
  // Past the 16 bytes a string's min and max keep in the footer: cut, the max rounded up (or kept whole).
  { type: { kind: 'string' }, value: fc.oneof(fc.string({ unit: 'grapheme', minLength: 14, maxLength: 40 }), fc.constantFrom('\u{10FFFF}'.repeat(6), 'ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ')) },
  { type: { kind: 'int' }, value: fc.integer() },
  { type: { kind: 'bigint' }, value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  // Next to the 32-bit word boundaries: values whose high words are equal and whose low words differ in the top bit.
  { type: { kind: 'bigint' }, value: fc.constantFrom(0n, 1n, -1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 2n ** 31n, -(2n ** 31n), -(2n ** 31n) - 1n, -(2n ** 32n), 2n ** 63n - 1n, -(2n ** 63n)) },
  { type: { kind: 'double' }, value: fc.oneof(fc.double(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity)) },
  { type: { kind: 'boolean' }, value: fc.boolean() as fc.Arbitrary<RowValue> },
  { type: { kind: 'date' }, value: fc.integer({ min: -30000, max: 80000 }) },
  { type: { kind: 'timestamp' }, value: fc.integer({ min: -2e12, max: 4e12 }) },
  { type: { kind: 'decimal', precision: 9, scale: 2 }, value: fc.bigInt({ min: -(10n ** 9n) + 1n, max: 10n ** 9n - 1n }) },
  { type: { kind: 'decimal', precision: 18, scale: 3 }, value: fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }) },
  { type: { kind: 'decimal', precision: 28, scale: 4 }, value: fc.bigInt({ min: -(10n ** 28n) + 1n, max: 10n ** 28n - 1n }) },
];

/** Columns of random kinds, and rows of owners (partitions) 0 … 3 in the order they are pooled. */
export interface PooledRowsSpec {
  columns: FileColumn[];
  rows: Array<[owner: number, values: RowValue[]]>;
  /**
   * Rows of another owner first, every string distinct: the dictionaries give up, and later strings are kept as
   * bytes in the buffers' blocks (mixed with the dictionary ids given before).
   */
  givenUp: boolean;
}

/** Random columns (any kind, required or not, statistics or not) and the rows of four owners. */
export const pooledRows: fc.Arbitrary<PooledRowsSpec> = fc
  .array(fc.record({ kind: fc.nat({ max: ROW_KINDS.length - 1 }), required: fc.boolean(), statistics: fc.boolean() }), { minLength: 1, maxLength: 12 })
  .chain((specs) => {
    const row = fc.tuple(
      fc.nat({ max: 3 }),
      fc.tuple(...specs.map((spec) => (spec.required ? ROW_KINDS[spec.kind]!.value : fc.option(ROW_KINDS[spec.kind]!.value, { nil: null, freq: 3 })))),
    );
    const columns: FileColumn[] = specs.map((spec, index) => ({
      name: `c${index}`,
      type: ROW_KINDS[spec.kind]!.type,
      required: spec.required,
      statistics: spec.statistics,
    }));
    return fc.record({
      columns: fc.constant(columns),
      rows: fc.array(row, { minLength: 1, maxLength: 4 * SMALL_ROW_GROUP }) as fc.Arbitrary<Array<[number, RowValue[]]>>,
      givenUp: fc.boolean(),
    });
  });

/** The rows in a row pool, as a partitioned writer holds them. */
export function poolOf({ columns, rows, givenUp }: PooledRowsSpec): RowPool {
  const pool = new RowPool(columns.map((c) => columnBufferFactory(c.type)), columns.map((_, index) => index));
  const filler = (i: number) => rows[0]![1].map((value, c) => (columns[c]!.type.kind === 'string' ? `filler ${i}` : value));
  if (givenUp) for (let i = 0; i < 4200; i++) pool.push(filler(i), 9);
  for (const [owner, values] of rows) pool.push(values, owner);
  return pool;
}

/**
 * The encodings a file writer asks for a small row group of these columns: PLAIN, and hyparquet-writer's own choice
 * for booleans (what `isSmallRowGroup` is given).
 */
export const smallRowGroupEncodings = (columns: FileColumn[]) => columns.map((c) => (c.type.kind === 'boolean' ? undefined : ('PLAIN' as const)));
