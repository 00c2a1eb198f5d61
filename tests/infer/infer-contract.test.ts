import { parquetReadObjects } from 'hyparquet';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { inferContract } from '../../src/cli/commands/infer.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import { processObject } from '../../src/pipeline/run/run.js';
import { landRaw, tempLake, withoutLineage } from '../support/local.js';

/** `inferContract` on files: names, options, refusals, and every dialect of issue 4 point 6 from infer to Parquet. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'glueless-infer-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function fileWith(name: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

describe('inferContract', () => {
  it('names the table after the file and owns the prefix <name>/ unless told otherwise', async () => {
    const file = await fileWith('Sales Export 2024-03.csv', 'Order ID,Amount,Day\n1,2.50,2024-03-01\n2,3.75,2024-03-02\n');
    const yaml = await inferContract(file);
    expect(yaml).toContain('name: sales_export_2024_03\n');
    expect(yaml).toContain('  prefix: sales_export_2024_03/\n');
    expect(yaml).toContain('  - { name: order_id, source: "Order ID", type: int, required: true }');
    expect(yaml).toContain('  - { name: day, source: "Day", type: date, required: true }  # 2 values, 0 null; e.g. "2024-03-01"\n');
    expect(yaml).toContain('primary_key: [order_id]');
    expect(yaml).toMatch(/^partition_by: {2}# the first required date column\n {2}column: day\n {2}layout: date\nfile: .*\n {2}max_error_ratio: 0\.05\n$/m);
    const custom = await inferContract(file, { name: 'sales', prefix: 'shop/sales', sampleRows: 1 });
    expect(parseContract(custom, 'sales.yaml')).toMatchObject({ name: 'sales', prefix: 'shop/sales/' });
    expect(custom).toMatch(/the first 1 data row\./);
  });

  it('reads a gzip export as the CSV inside it, sampling past the first 64 KiB', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i + 1};Kunde ${i % 40};${(i % 997) / 4};2024-03-${String((i % 28) + 1).padStart(2, '0')}`);
    const csv = `Order ID;Customer;Amount;Day\n${rows.join('\n')}\n`;
    const plain = await inferContract(await fileWith('orders.csv', csv));
    const packed = await inferContract(await fileWith('orders.csv.gz', gzipSync(csv)));
    expect(packed.replaceAll('orders.csv.gz', 'orders.csv')).toBe(plain);
    expect(packed).toContain('name: orders\n');
    expect(packed).toContain('delimiter: ";"');
    await expect(inferContract(await fileWith('cut.csv.gz', gzipSync(csv).subarray(0, 2000)))).rejects.toThrow(/cut\.csv\.gz: not a readable gzip file/);
  });

  it('writes a source: only where the header is not already the column name', async () => {
    const yaml = await inferContract(await fileWith('t.csv', 'id,Customer Name\n1,Ann\n'));
    expect(yaml).toContain('  - { name: id, type: int, required: true }');
    expect(yaml).toContain('  - { name: customer_name, source: "Customer Name", type: string, required: true }');
  });

  it('prints YAML that survives headers and tokens with quotes, backslashes, colons and hashes', async () => {
    const file = await fileWith('odd.csv', '"Size ""in""",a\\b: c # d,Flag\n1,x,on\n2,y,OFF\n');
    const contract = parseContract(await inferContract(file), 'odd.yaml');
    expect(contract.columns.map((c) => [c.name, c.source])).toEqual([
      ['size_in', 'Size "in"'],
      ['a_b_c_d', 'a\\b: c # d'],
      ['flag', 'Flag'],
    ]);
    expect(contract.columns[2]!.parse).toMatchObject({ trueValues: ['on'], falseValues: ['OFF'] });
  });

  it.each([
    ['an empty file', 'empty.csv', '', /empty\.csv: file is empty; nothing to infer/],
    ['a file of blank lines', 'blank.csv', '\n\n\r\n', /blank\.csv: file is empty; a header row is required/],
    ['a UTF-16 export', 'utf16.csv', Buffer.from('\uFEFFid,name\r\n1,x\r\n', 'utf16le'), /utf16\.csv: is UTF-16 encoded; save the file as UTF-8/],
    ['Latin-1 text', 'latin1.csv', Buffer.from('id,name\n1,Caf\xe9\n', 'latin1'), /latin1\.csv: not valid UTF-8 in the first \d+ bytes/],
    ['a PNG', 'png.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), /png\.csv: \d+ NUL bytes .* binary file/],
    ['a file without a header row', 'nohead.csv', '1,2024-01-01,10.5\n2,2024-01-02,7\n', /nohead\.csv: the first row looks like data, not a header/],
    ['a duplicate header', 'dup.csv', 'id,id\n1,2\n', /dup\.csv: header "id" appears twice/],
  ])('refuses %s with a one-line reason naming the file', async (_what, name, content, message) => {
    const error = await inferContract(await fileWith(name, content)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
  });

  it('refuses a missing file and a name that is not a table name', async () => {
    await expect(inferContract(path.join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv: no such file/);
    await expect(inferContract(await fileWith('ok.csv', 'a\n1\n'), { name: 'My Table' })).rejects.toThrow(/--name "My Table" is not a table name: use lowercase snake_case, e\.g\. my_table/);
  });
});

describe('dialects: sniffed by infer, read by ingest (issue 4 point 6)', () => {
  const rows = [
    { id: 1, name: 'Smith, J; P|Q\tR', amount: 10.5 },
    { id: 2, name: 'two\r\nlines "quoted"', amount: 7.25 },
    { id: 3, name: 'plain', amount: 0 },
  ];

  it.each([
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
    ['pipe', '|'],
  ])('%s-delimited, CRLF, BOM, quoted delimiters, quotes and line breaks', async (_name, delimiter) => {
    const field = (text: string) => (/[,;|\t"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const lines = ['id', 'name', 'amount'].join(delimiter) + '\r\n' + rows.map((r) => [r.id, field(r.name), r.amount.toFixed(2)].join(delimiter)).join('\r\n') + '\r\n';
    const file = await fileWith(`dialect-${_name}.csv`, `\uFEFF${lines}`);
    const contract = parseContract(await inferContract(file, { name: 'dialect' }), 'dialect.yaml');
    expect(contract.csv).toMatchObject({ delimiter, quote: '"' });
    expect(contract.columns.map((c) => [c.name, c.type.kind])).toEqual([
      ['id', 'int'],
      ['name', 'string'],
      ['amount', 'decimal'],
    ]);

    const local = await tempLake();
    try {
      await landRaw(local, 'dialect/a.csv', await readFile(file));
      const manifest = await processObject('dialect/a.csv', contract, local.lake);
      expect(manifest).toMatchObject({ outcome: 'ok', rowsRead: 3, rowsWritten: 3, rowsQuarantined: 0 });
      const bytes = await readFile(local.lake.processed.locationOf(manifest.outputs[0]!.key));
      const back = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
      expect(withoutLineage(back)).toEqual(rows);
    } finally {
      await local.cleanup();
    }
  });
});
