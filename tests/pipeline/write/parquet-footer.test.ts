import fc from 'fast-check';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyCompressor } from 'hysnappy';
import { finishParquet } from '../../../src/pipeline/write/parquet-footer.js';
import { parquetSchema, type FileColumn } from '../../../src/pipeline/write/parquet.js';
import type { ColumnType } from '../../../src/pipeline/contract/column-type.js';

/** The same row groups written twice: completed by hyparquet-writer's own `finish`, and by `finishParquet`. */
function bothWays(columns: FileColumn[], groups: unknown[][][], options: { kv?: boolean; pageSize?: number } = {}) {
  const schema = parquetSchema(columns);
  const files = [0, 1].map(() => {
    const bytes = new ByteWriter();
    const writer = new ParquetWriter({
      writer: bytes,
      schema,
      codec: 'SNAPPY',
      compressors: { SNAPPY: snappyCompressor() },
      createdBy: 'glueless (hyparquet-writer) ✓',
      kvMetadata: options.kv ? [{ key: 'k', value: 'v' }] : undefined,
    });
    for (const group of groups) {
      const columnData = columns.map((column, index) => ({
        name: column.name,
        data: group[index] as never[],
        statistics: column.statistics ?? true,
      }));
      void writer.write({ columnData, rowGroupSize: group[0]!.length, pageSize: options.pageSize });
    }
    return { bytes, writer };
  });
  void files[0]!.writer.finish();
  void finishParquet(files[1]!.writer, files[1]!.bytes);
  return files.map(({ bytes }) => new Uint8Array(bytes.getBuffer()));
}

const TYPES: Array<{ type: ColumnType; value: fc.Arbitrary<unknown> }> = [
  { type: { kind: 'string' }, value: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { type: { kind: 'int' }, value: fc.integer() },
  { type: { kind: 'bigint' }, value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  { type: { kind: 'double' }, value: fc.double({ noNaN: true }) },
  { type: { kind: 'boolean' }, value: fc.boolean() },
  { type: { kind: 'date' }, value: fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }) },
  { type: { kind: 'timestamp' }, value: fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }) },
  { type: { kind: 'decimal', precision: 9, scale: 2 }, value: fc.bigInt({ min: -(10n ** 9n) + 1n, max: 10n ** 9n - 1n }) },
  { type: { kind: 'decimal', precision: 18, scale: 4 }, value: fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }) },
  { type: { kind: 'decimal', precision: 30, scale: 6 }, value: fc.bigInt({ min: -(10n ** 30n) + 1n, max: 10n ** 30n - 1n }) },
];

const fileArbitrary = fc
  .array(fc.record({ kind: fc.nat({ max: TYPES.length - 1 }), required: fc.boolean(), statistics: fc.boolean() }), { minLength: 1, maxLength: 20 })
  .chain((specs) => {
    const columns: FileColumn[] = specs.map((spec, index) => ({
      name: `c${index}_${TYPES[spec.kind]!.type.kind}`,
      type: TYPES[spec.kind]!.type,
      required: spec.required,
      statistics: spec.statistics,
    }));
    const group = fc.integer({ min: 1, max: 40 }).chain((rows) =>
      fc.tuple(
        ...specs.map((spec) => {
          const value = TYPES[spec.kind]!.value;
          return fc.array(spec.required ? value : fc.option(value, { nil: null }), { minLength: rows, maxLength: rows });
        }),
      ),
    );
    return fc.tuple(fc.constant(columns), fc.array(group, { minLength: 0, maxLength: 3 }));
  });

describe('finishParquet', () => {
  it('writes the same bytes as hyparquet-writer for any flat schema, values, nulls and row groups', () => {
    fc.assert(
      fc.property(fileArbitrary, ([columns, groups]) => {
        const [library, ours] = bothWays(columns, groups as unknown[][][]);
        expect(Buffer.from(ours!).equals(Buffer.from(library!))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('writes the same bytes where a column has several pages (offset indexes) and long strings (truncated statistics)', () => {
    const columns: FileColumn[] = [
      { name: 'id', type: { kind: 'bigint' }, required: true },
      { name: 'text', type: { kind: 'string' }, required: false },
      { name: 'amount', type: { kind: 'double' }, required: false, statistics: false },
    ];
    const rows = 5000;
    const group = [
      Array.from({ length: rows }, (_, i) => BigInt(i) * 7919n),
      Array.from({ length: rows }, (_, i) => (i % 17 === 0 ? null : `${'long text '.repeat(i % 30)}${i}`)),
      Array.from({ length: rows }, (_, i) => i / 3),
    ];
    const [library, ours] = bothWays(columns, [group, group], { pageSize: 4096 });
    expect(Buffer.from(ours!).equals(Buffer.from(library!))).toBe(true);
    const chunk = parquetMetadata(ours!.buffer as ArrayBuffer).row_groups[1]!.columns[0]!;
    expect(chunk.offset_index_offset).toBeDefined();
  });

  it('leaves metadata it does not write (key-value metadata) to hyparquet-writer, with the same result', async () => {
    const columns: FileColumn[] = [{ name: 'n', type: { kind: 'int' }, required: true }];
    const [library, ours] = bothWays(columns, [[[1, 2, 3]]], { kv: true });
    expect(Buffer.from(ours!).equals(Buffer.from(library!))).toBe(true);
    const file = ours!.buffer as ArrayBuffer;
    expect(parquetMetadata(file).key_value_metadata).toEqual([{ key: 'k', value: 'v' }]);
    expect(await parquetReadObjects({ file })).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});
