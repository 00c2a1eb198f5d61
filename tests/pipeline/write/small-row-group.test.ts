import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyOfInputAlone } from '../../../src/pipeline/write/snappy.js';
import { isSmallRowGroup, SMALL_ROW_GROUP, writeSmallRowGroup } from '../../../src/pipeline/write/small-row-group.js';
import { parquetSchema, type FileColumn } from '../../../src/pipeline/write/parquet.js';
import { smallRowGroupEncodings } from '../../support/pooled-rows.js';
import type { ColumnType } from '../../../src/pipeline/contract/column-type.js';

const utf8 = new TextEncoder();

/** Each kind of column, with the values a column buffer or a caller may hand over for it. */
const KINDS: Array<{ type: ColumnType; value: fc.Arbitrary<unknown> }> = [
  { type: { kind: 'string' }, value: fc.string({ unit: 'binary', maxLength: 12 }) },
  { type: { kind: 'string' }, value: fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => utf8.encode(text)) },
  { type: { kind: 'int' }, value: fc.integer() },
  { type: { kind: 'bigint' }, value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  { type: { kind: 'double' }, value: fc.oneof(fc.double(), fc.constantFrom(0, -0, NaN, Infinity)) },
  { type: { kind: 'boolean' }, value: fc.boolean() },
  { type: { kind: 'date' }, value: fc.oneof(fc.integer({ min: -30000, max: 80000 }), fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') })) },
  { type: { kind: 'timestamp' }, value: fc.oneof(fc.integer({ min: -2e12, max: 4e12 }), fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') })) },
  { type: { kind: 'decimal', precision: 9, scale: 2 }, value: fc.oneof(fc.bigInt({ min: -(10n ** 9n) + 1n, max: 10n ** 9n - 1n }), fc.integer({ min: -9999999, max: 9999999 }).map((n) => n / 100)) },
  { type: { kind: 'decimal', precision: 18, scale: 3 }, value: fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }) },
  { type: { kind: 'decimal', precision: 28, scale: 4 }, value: fc.bigInt({ min: -(10n ** 28n) + 1n, max: 10n ** 28n - 1n }) },
];

function newWriter(columns: FileColumn[]) {
  const bytes = new ByteWriter();
  const writer = new ParquetWriter({ writer: bytes, schema: parquetSchema(columns), codec: 'SNAPPY', compressors: { SNAPPY: snappyOfInputAlone } });
  return { bytes, writer };
}


const fileArbitrary = fc
  .array(fc.record({ kind: fc.nat({ max: KINDS.length - 1 }), required: fc.boolean(), statistics: fc.boolean() }), { minLength: 1, maxLength: 16 })
  .chain((specs) => {
    const columns: FileColumn[] = specs.map((spec, index) => ({
      name: `c${index}`,
      type: KINDS[spec.kind]!.type,
      required: spec.required,
      statistics: spec.statistics,
    }));
    const group = fc.integer({ min: 1, max: SMALL_ROW_GROUP }).chain((rows) =>
      fc.tuple(
        ...specs.map((spec) => {
          const value = KINDS[spec.kind]!.value;
          return fc.array(spec.required ? value : fc.option(value, { nil: null, freq: 3 }), { minLength: rows, maxLength: rows });
        }),
      ),
    );
    return fc.tuple(fc.constant(columns), fc.array(group, { minLength: 1, maxLength: 3 }));
  });

describe('writeSmallRowGroup', () => {
  it('writes the same file as hyparquet-writer for row groups of up to 32 rows, any flat columns, nulls and statistics', async () => {
    await fc.assert(
      fc.asyncProperty(fileArbitrary, async ([columns, groups]) => {
        const encodings = smallRowGroupEncodings(columns);
        const library = newWriter(columns);
        const ours = newWriter(columns);
        let written = 0;
        for (const group of groups as unknown[][][]) {
          const rows = group[0]!.length;
          const columnData = columns.map((column, index) => ({
            name: column.name,
            data: group[index] as never[],
            encoding: encodings[index],
            statistics: column.statistics ?? true,
          }));
          await library.writer.write({ columnData, rowGroupSize: rows });
          if (isSmallRowGroup(ours.writer.schema, rows, encodings)) {
            written++;
            await writeSmallRowGroup(ours.writer, columns.map((c, i) => ({ values: group[i]!, statistics: c.statistics ?? true })), rows);
          } else {
            // Only booleans past 16 values (RLE) are not small here.
            expect(columns.some((c) => c.type.kind === 'boolean') && rows > 16).toBe(true);
            await ours.writer.write({ columnData, rowGroupSize: rows });
          }
        }
        await library.writer.finish();
        await ours.writer.finish();
        const [a, b] = [library, ours].map(({ bytes }) => Buffer.from(bytes.getBuffer()));
        expect(b!.equals(a!)).toBe(true);
        if (written > 0) {
          const file = ours.bytes.getBuffer();
          expect((await parquetReadObjects({ file })).length).toBe((groups as unknown[][][]).reduce((n, g) => n + g[0]!.length, 0));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is not used for more rows, nested columns, or another encoding', () => {
    const columns: FileColumn[] = [
      { name: 'id', type: { kind: 'bigint' }, required: true },
      { name: 'flag', type: { kind: 'boolean' }, required: false },
    ];
    const schema = parquetSchema(columns);
    expect(isSmallRowGroup(schema, 10, ['PLAIN', undefined])).toBe(true);
    expect(isSmallRowGroup(schema, SMALL_ROW_GROUP + 1, ['PLAIN', undefined])).toBe(false);
    expect(isSmallRowGroup(schema, 20, ['PLAIN', undefined])).toBe(false);
    expect(isSmallRowGroup(schema, 10, ['DELTA_BINARY_PACKED', undefined])).toBe(false);
    expect(isSmallRowGroup(schema, 10, [undefined, undefined])).toBe(false);
    expect(isSmallRowGroup([{ name: 'root', num_children: 1 }, { name: 'list', num_children: 1, repetition_type: 'OPTIONAL' }], 5, ['PLAIN'])).toBe(false);
  });

  it('refuses an INT64 value out of range as hyparquet-writer does', () => {
    const columns: FileColumn[] = [{ name: 'n', type: { kind: 'bigint' }, required: true }];
    const { writer } = newWriter(columns);
    expect(() => writeSmallRowGroup(writer, [{ values: [2n ** 63n], statistics: true }], 1)).toThrow(/INT64 value out of range/);
  });
});
