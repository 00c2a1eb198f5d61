import { parquetReadObjects } from 'hyparquet';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, readText, salesContract, tempLake, expectNothingLost, withoutLineage } from '../../support/local.js';

type Lake = Awaited<ReturnType<typeof tempLake>>;

const HEADER = 'order_id,customer_id,product,quantity,price,order_date,notes';

async function listAll(local: Lake) {
  const zones = ['raw', 'processed', 'quarantine'] as const;
  const listed = await Promise.all(zones.map(async (zone) => (await local.lake[zone].list('')).map((o) => `${zone}/${o.key}`)));
  return listed.flat();
}

async function readParquet(local: Lake, key: string) {
  const bytes = await readFile(local.lake.processed.locationOf(key));
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return withoutLineage(await parquetReadObjects({ file }));
}

describe('processObject on the local lake', () => {
  let local: Lake;
  beforeEach(async () => {
    local = await tempLake();
  });
  afterEach(() => local.cleanup());

  it('writes good rows per partition and quarantines bad ones with rule, column, value and line', async () => {
    const csv = [
      HEADER,
      '1,C1,Lamp,2,10.50,2024-03-01,',
      '2,,Lamp,1,10.50,2024-03-01,no customer',
      '3,C3,Desk,three,99.00,2024-03-02,',
      '1,C9,Lamp,1,10.50,2024-03-02,duplicate id',
      '4,C4,"Desk, oak",1,12345678.91,2024-03-02,"multi',
      'line note"',
      '5,C5,Pen,1,1.00',
      '6,C6,Pen,1,1.001,2024-03-03,',
    ].join('\n');
    await landRaw(local, 'sales/orders/day.csv', csv);
    // The sample contract's quality gate (5%) would reject this file of mostly bad rows: here the rows are the point.
    const sales = await salesContract();
    const manifest = await processObject('sales/orders/day.csv', { ...sales, file: { ...sales.file, maxErrorRatio: 1 } }, local.lake);

    expectNothingLost(manifest);
    expect(manifest.rowsRead).toBe(7);
    expect(manifest.rowsWritten).toBe(2);
    expect(manifest.quarantinedByRule).toEqual({ not_null: 1, cast: 2, unique: 1, column_count: 1 });
    expect(manifest.partitions).toEqual(['order_date=2024-03-01/', 'order_date=2024-03-02/']);

    const quarantine = await readText(local, 'quarantine', manifest.quarantineFile!);
    const lines = quarantine.trim().split('\n');
    expect(lines[0]).toBe(`${HEADER},_error_rule,_error_column,_error_value,_error_message,_source_line`);
    expect(lines[1]).toBe('2,,Lamp,1,10.50,2024-03-01,no customer,not_null,customer_id,,customer_id is required but empty,3');
    expect(lines[2]).toMatch(/^3,C3,Desk,three,.*,cast,quantity,three,.*,4$/);
    expect(lines[3]).toMatch(/unique,order_id,1,duplicate order_id 1 \(first seen on line 2\),5$/);
    // The short row starts on line 8 (the quoted note spans lines 6-7) and is padded so the error columns line up.
    expect(lines[4]).toBe('5,C5,Pen,1,1.00,,,column_count,,5,"row has 5 fields, header has 7",8');
    expect(lines.at(-1)).toMatch(/cast,price,1\.001,.*,9$/);

    const day2 = manifest.outputs.find((o) => o.partition === 'order_date=2024-03-02/')!;
    const rows = await readParquet(local, day2.key);
    expect(rows).toEqual([
      { order_id: 4n, customer_id: 'C4', product: 'Desk, oak', quantity: 1, price: 12345678.91, notes: 'multi\nline note', total_amount: 12345678.91 },
    ]);
    // Lineage: the raw key and when the raw object was written, on every row, after the contract's columns.
    const bytes = await readFile(local.lake.processed.locationOf(day2.key));
    const [lineage] = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    expect(Object.keys(lineage!).slice(-2)).toEqual(['_source_key', '_ingested_at']);
    const landed = (await local.lake.raw.list('sales/orders/day.csv'))[0]!.lastModified!;
    expect(lineage).toMatchObject({ _source_key: 'sales/orders/day.csv', _ingested_at: new Date(landed.getTime()) });
  });

  it('processing the same file again leaves the same files and rows', async () => {
    const contract = await salesContract();
    await landRaw(local, 'sales/orders/s.csv', await readFile('samples/sales_orders.csv'));
    const first = await processObject('sales/orders/s.csv', contract, local.lake);
    const filesAfterFirst = await listAll(local);
    const second = await processObject('sales/orders/s.csv', contract, local.lake);
    expect(await listAll(local)).toEqual(filesAfterFirst);
    expect(second.outputs.map((o) => [o.key, o.rows])).toEqual(first.outputs.map((o) => [o.key, o.rows]));
    expectNothingLost(second);
  });

  it('a changed source replaces its outputs: partitions it no longer touches are removed', async () => {
    const contract = await salesContract();
    await landRaw(local, 'sales/orders/c.csv', `${HEADER}\n1,C1,Lamp,1,1.00,2024-03-01,\n2,C2,Lamp,1,1.00,2024-03-02,x\n`);
    const first = await processObject('sales/orders/c.csv', contract, local.lake);
    expect(first.partitions).toHaveLength(2);
    await landRaw(local, 'sales/orders/c.csv', `${HEADER}\n1,C1,Lamp,1,1.00,2024-03-01,\n`);
    const second = await processObject('sales/orders/c.csv', contract, local.lake);
    const parquet = (await local.lake.processed.list('tables/')).map((o) => o.key);
    expect(parquet).toEqual(second.outputs.map((o) => o.key));
    expect(parquet).toHaveLength(1);
    expect(first.quarantineFile).toBeUndefined();
  });

  it.each([
    ['a header lacking a declared column', `order_id,customer_id,product,quantity,order_date,notes\n1,C,P,1,2024-03-01,\n`, /header lacks declared column "price"/],
    ['an empty file', '', /file is empty; a header row is required/],
    ['an unterminated quote at the end', `${HEADER}\n1,C1,Lamp,1,1.00,2024-03-01,"never closed\n`, /line \d+: malformed CSV .*never closed/],
    ['a duplicate header', `${HEADER},notes\n`, /header "notes" appears twice/],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from(`${HEADER}\n1,C1,Caf`), Buffer.from([0xe9]), Buffer.from(',1,1.00,2024-03-01,\n')]), /bad\.csv: not valid UTF-8 at line 2, byte 69; save the file as UTF-8/],
  ])('rejects %s as a whole: one-line reason, no Parquet, the file kept whole in quarantine', async (_name, csv, message) => {
    await landRaw(local, 'sales/orders/bad.csv', csv);
    const manifest = await processObject('sales/orders/bad.csv', await salesContract(), local.lake);
    expect(manifest.outcome).toBe('rejected');
    expect(manifest.rejectReason).toMatch(message);
    expect(manifest.rejectReason).toMatch(/^sales\/orders\/bad\.csv: /);
    expect(manifest.rejectReason).not.toContain('\n');
    expectNothingLost(manifest);
    expect(manifest.rowsWritten).toBe(0);
    const files = await listAll(local);
    expect(files.filter((f) => f.startsWith('processed/tables/'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('quarantine/'))).toEqual([
      expect.stringMatching(/^quarantine\/sales_orders\/rejected\/bad-[0-9a-f]{8}\.csv$/),
      expect.stringMatching(/^quarantine\/sales_orders\/rejected\/bad-[0-9a-f]{8}\.reason\.json$/),
    ]);
    const kept = await readFile(local.lake.quarantine.locationOf(manifest.quarantineFile!));
    expect(kept.equals(Buffer.from(csv))).toBe(true);
  });

  it('reads gzip input as the same rows as the plain file, and rejects a decompression bomb whole', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i + 1},C${i % 97},Lamp ${i % 13},${(i % 5) + 1},${(i % 900) + 1}.25,2024-03-0${(i % 3) + 1},note ${i}`);
    const csv = `${HEADER}\n${rows.join('\n')}\n`;
    await landRaw(local, 'sales/orders/plain.csv', csv);
    await landRaw(local, 'sales/orders/packed.csv.gz', gzipSync(csv));
    const plain = await processObject('sales/orders/plain.csv', await salesContract(), local.lake);
    const packed = await processObject('sales/orders/packed.csv.gz', await salesContract(), local.lake);
    expectNothingLost(packed);
    expect(packed).toMatchObject({ outcome: 'ok', rowsRead: 3000, rowsWritten: 3000, partitions: plain.partitions });
    for (const [index, output] of packed.outputs.entries()) {
      expect(await readParquet(local, output.key)).toEqual(await readParquet(local, plain.outputs[index]!.key));
    }

    // 64 MB of blank lines in ~64 kB of gzip: refused by ratio long before it is all expanded, kept whole in quarantine.
    const bomb = gzipSync(`${HEADER}\n${'\n'.repeat(64 * 1024 * 1024)}`);
    await landRaw(local, 'sales/orders/bomb.csv.gz', bomb);
    const refused = await processObject('sales/orders/bomb.csv.gz', await salesContract(), local.lake);
    expect(refused.outcome).toBe('rejected');
    expect(refused.rejectReason).toMatch(/^sales\/orders\/bomb\.csv\.gz: gzip expands more than 200:1/);
    expect(refused.outputs).toEqual([]);
    expectNothingLost(refused);
    expect((await readFile(local.lake.quarantine.locationOf(refused.quarantineFile!))).equals(bomb)).toBe(true);
  });

  it('accepts CRLF, a BOM and a header-only file', async () => {
    await landRaw(local, 'sales/orders/crlf.csv', `\uFEFF${HEADER}\r\n1,C1,Lamp,1,1.00,2024-03-01,\r\n`);
    const manifest = await processObject('sales/orders/crlf.csv', await salesContract(), local.lake);
    expect(manifest.rowsWritten).toBe(1);
    await landRaw(local, 'sales/orders/empty.csv', `${HEADER}\n`);
    const empty = await processObject('sales/orders/empty.csv', await salesContract(), local.lake);
    expect(empty).toMatchObject({ rowsRead: 0, rowsWritten: 0, outputs: [] });
  });

  it('writes explicit row groups, not the library default of 1,000 rows', async () => {
    const contract = contractFrom(`
name: t
source: { prefix: t/ }
columns:
  - { name: id, type: int, required: true }
  - { name: d, type: date, required: true }
partition_by: { column: d }
row_group_size: 2500
`);
    const rows = Array.from({ length: 6000 }, (_, i) => `${i},2024-01-01`).join('\n');
    await landRaw(local, 't/a.csv', `id,d\n${rows}\n`);
    const manifest = await processObject('t/a.csv', contract, local.lake);
    const { parquetMetadataAsync } = await import('hyparquet');
    const bytes = await readFile(local.lake.processed.locationOf(manifest.outputs[0]!.key));
    const metadata = await parquetMetadataAsync(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([2500, 2500, 1000]);
    const codecs = metadata.row_groups[0]!.columns.map((c) => c.meta_data?.codec);
    expect(new Set(codecs)).toEqual(new Set(['SNAPPY']));
  });
});
