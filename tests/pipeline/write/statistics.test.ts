import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, tempLake } from '../../support/local.js';

describe('Parquet column statistics', () => {
  it('keeps row-group min/max only for the primary key, the partition column and columns marked statistics: true', async () => {
    const local = await tempLake();
    try {
      const contract = contractFrom(`
name: events
source: { prefix: events/ }
columns:
  - { name: id, type: bigint, required: true }
  - { name: kind, type: string }
  - { name: amount, type: double, statistics: true }
  - { name: note, type: string }
  - { name: at, type: timestamp, required: true }
derived:
  - { name: doubled, type: double, expr: amount * 2 }
primary_key: [id]
partition_by: { column: at, layout: year_month_day }
`);
      await landRaw(local, 'events/a.csv', 'id,kind,amount,note,at\n2,b,1.5,x,2024-05-01T10:00:00Z\n1,a,9.25,,2024-05-01T11:00:00Z\n');
      const manifest = await processObject('events/a.csv', contract, local.lake);
      const bytes = await readFile(path.join(local.root, 'processed', manifest.outputs[0]!.key));
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const chunks = parquetMetadata(file).row_groups[0]!.columns.map((c) => c.meta_data!);
      const withStatistics = chunks.filter((c) => c.statistics?.min_value !== undefined).map((c) => c.path_in_schema.join('.'));
      expect(withStatistics).toEqual(['id', 'amount', 'at']);
      const id = chunks.find((c) => c.path_in_schema[0] === 'id')!.statistics!;
      expect([id.min_value, id.max_value]).toEqual([1n, 2n]);
      // SNAPPY by hysnappy: a reader decompresses it as any snappy.
      expect(new Set(chunks.map((c) => c.codec))).toEqual(new Set(['SNAPPY']));
      const rows = await parquetReadObjects({ file });
      expect(rows.map((r) => [r.id, r.kind, r.amount, r.note, r.doubled])).toEqual([
        [2n, 'b', 1.5, 'x', 3],
        [1n, 'a', 9.25, null, 18.5],
      ]);
    } finally {
      await local.cleanup();
    }
  });
});
