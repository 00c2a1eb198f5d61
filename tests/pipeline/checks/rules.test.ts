import { runQuery } from '../../../src/adapters/local/duckdb-query.js';
import { ingestObject } from '../../../src/pipeline/run/ingest.js';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, readText, tempLake, expectNothingLost } from '../../support/local.js';

type Lake = Awaited<ReturnType<typeof tempLake>>;

const flights = (fileRules = '', extraColumns = '') =>
  contractFrom(`
name: flights
source: { prefix: flights/, delimiter: ";", null_values: [NA] }
columns:
  - { name: flight_date, source: "Flight Date", type: date, format: "MMM d yyyy", required: true }
  - { name: carrier, source: "Carrier Code", type: string, required: true, accepted_values: [AA, DL, UA], trim: true }
  - { name: flight_no, type: string, pattern: "^[0-9]{1,4}$" }
  - { name: dep_delay, source: "Dep Delay (min)", type: int, min: -60, max: 1440 }
  - { name: cancelled, type: boolean, true_values: [Y], false_values: [N] }
  - { name: departed_at, type: timestamp, format: "M/d/yyyy h:mm a", timezone: America/New_York }
  - { name: cost_total, source: "Cost Total $", type: "decimal(12,2)", null_values: ["-"] }
  - { name: remark, type: string, max_length: 10 }
${extraColumns}
partition_by: { column: flight_date, layout: year_month }
${fileRules}
`);

const HEADER = 'Flight Date;Carrier Code;Flight No;Dep Delay (min);Cancelled;Departed At;Cost Total $;Remark';

describe('contract parse options and rules', () => {
  let local: Lake;
  beforeEach(async () => {
    local = await tempLake();
  });
  afterEach(() => local.cleanup());

  it('reads real-export formats: patterns, time zones, boolean and null tokens, trimming, source headers', async () => {
    await landRaw(
      local,
      'flights/mar.csv',
      `${HEADER}\nMar 5 2024; DL ;1234;-5;N;3/5/2024 7:05 PM;1234.50;ok\nMar 31 2024;AA;12;NA;Y;3/31/2024 12:00 AM;-;\n`,
    );
    const result = await ingestObject('flights/mar.csv', { ...local, contracts: [flights()] });
    expect(result.status).toBe('processed');
    const rows = await runQuery(
      local.catalog,
      "SELECT flight_date, carrier, dep_delay, cancelled, strftime(departed_at, '%Y-%m-%d %H:%M') AS utc, cost_total, year, month FROM flights ORDER BY flight_date",
    );
    expect(rows.rows).toEqual([
      ['2024-03-05', 'DL', -5, false, '2024-03-06 00:05', '1234.50', '2024', '03'],
      ['2024-03-31', 'AA', null, true, '2024-03-31 04:00', null, '2024', '03'],
    ]);
  });

  it('quarantines by accepted_values, range, regex and length with the rule named', async () => {
    const csv = [
      HEADER,
      'Mar 5 2024;XX;1;0;N;;;',
      'Mar 5 2024;AA;1;2000;N;;;',
      'Mar 5 2024;AA;12345;0;N;;;',
      'Mar 5 2024;AA;1;0;N;;;far too long remark',
      'Mar 5 2024;AA;1;0;maybe;;;',
      '2024-03-05;AA;1;0;N;;;',
      'Mar 5 2024;AA;1;0;N;;;fine',
    ].join('\n');
    await landRaw(local, 'flights/bad.csv', csv);
    const manifest = await processObject('flights/bad.csv', flights(), local.lake);
    expectNothingLost(manifest);
    expect(manifest.rowsWritten).toBe(1);
    expect(manifest.quarantinedByRule).toEqual({ accepted_values: 1, range: 1, regex: 1, length: 1, cast: 2 });
    const quarantine = await readText(local, 'quarantine', manifest.quarantineFile!);
    expect(quarantine).toContain('carrier: ""XX"" is not one of AA, DL, UA');
    expect(quarantine).toContain('dep_delay: 2000 is above the maximum 1440');
    expect(quarantine).toContain('cancelled: ""maybe"" is not a boolean (Y/N)');
    expect(quarantine).toContain('flight_date: ""2024-03-05"" is not a date in format MMM d yyyy');
  });

  it('rejects the whole file above max_error_ratio: nothing written, the file kept with its reason', async () => {
    await landRaw(local, 'flights/mostly-bad.csv', `${HEADER}\nMar 5 2024;XX;1;0;N;;;\nMar 5 2024;AA;1;0;N;;;\n`);
    const manifest = await processObject('flights/mostly-bad.csv', flights('file: { max_error_ratio: 0.25 }'), local.lake);
    expect(manifest.outcome).toBe('rejected');
    expect(manifest.rejectReason).toBe(
      'flights/mostly-bad.csv: 1 of 2 rows failed checks (50.0%), above file.max_error_ratio 0.25',
    );
    expect(manifest).toMatchObject({ rowsRead: 2, rowsWritten: 0, rowsQuarantined: 2, quarantinedByRule: { file_rejected: 2 } });
    expect(await local.lake.processed.list('tables/')).toEqual([]);
    const reason = JSON.parse(await readText(local, 'quarantine', manifest.quarantineFile!.replace(/\.csv$/, '.reason.json')));
    expect(reason.rejectReason).toBe(manifest.rejectReason);
  });

  it('enforces min_rows and required headers', async () => {
    await landRaw(local, 'flights/short.csv', `${HEADER}\nMar 5 2024;AA;1;0;N;;;\n`);
    expect((await processObject('flights/short.csv', flights('file: { min_rows: 2 }'), local.lake)).rejectReason).toMatch(
      /1 rows, fewer than the 2 the contract requires \(file\.min_rows\)/,
    );
    const needsAudit = flights('file: { required_headers: [Audit Id] }');
    expect((await processObject('flights/short.csv', needsAudit, local.lake)).rejectReason).toMatch(/lacks required header "Audit Id"/);
  });

  it('handles schema drift: extra columns ignored with a warning or rejected; a missing nullable column is null', async () => {
    await landRaw(local, 'flights/drift.csv', `Flight Date;Carrier Code;Surprise\nMar 5 2024;AA;x\n`);
    const manifest = await processObject('flights/drift.csv', flights(), local.lake);
    expect(manifest.outcome).toBe('ok');
    expect(manifest.rowsWritten).toBe(1);
    expect(manifest.warnings).toEqual([
      'column "flight_no" is missing; flight_no is null in every row',
      'column "Dep Delay (min)" is missing; dep_delay is null in every row',
      'column "cancelled" is missing; cancelled is null in every row',
      'column "departed_at" is missing; departed_at is null in every row',
      'column "Cost Total $" is missing; cost_total is null in every row',
      'column "remark" is missing; remark is null in every row',
      'ignored column not in the contract: Surprise',
    ]);
    const strict = await processObject('flights/drift.csv', flights('file: { extra_columns: reject }'), local.lake);
    expect(strict.rejectReason).toMatch(/header has column "Surprise" the contract of flights does not declare/);
  });

  it('derives columns with the expression language and quarantines a derivation that fails', async () => {
    const contract = contractFrom(`
name: lines
source: { prefix: lines/ }
columns:
  - { name: id, type: int, required: true }
  - { name: qty, type: int, required: true }
  - { name: unit_price, type: "decimal(6,2)", required: true }
  - { name: sku, type: string, required: true }
  - { name: sold_on, type: date, required: true }
derived:
  - { name: total, type: "decimal(8,2)", expr: qty * unit_price }
  - { name: big_order, type: boolean, expr: qty * unit_price >= 1000 }
  - { name: sku_upper, type: string, expr: upper(sku) }
  - { name: sold_month, type: int, expr: month(sold_on) }
partition_by: { column: sold_on, layout: year }
`);
    await landRaw(local, 'lines/a.csv', 'id,qty,unit_price,sku,sold_on\n1,2,600.00,ab-1,2024-07-09\n2,9999,9999.99,zz,2024-07-09\n');
    const result = await ingestObject('lines/a.csv', { ...local, contracts: [contract] });
    if (result.status !== 'processed') throw new Error('expected processed');
    expect(result.manifest.quarantinedByRule).toEqual({ derive: 1 });
    const rows = await runQuery(local.catalog, 'SELECT id, total, big_order, sku_upper, sold_month, year FROM lines');
    expect(rows.rows).toEqual([[1, '1200.00', true, 'AB-1', 7, '2024']]);
  });

  it('bounds memory: a record longer than source.max_record_chars rejects the file with a clear reason', async () => {
    const contract = contractFrom(`
name: notes
source: { prefix: notes/, max_record_chars: 4096 }
columns:
  - { name: id, type: int, required: true }
  - { name: body, type: string }
partition_by: { column: ingest_date }
`);
    // A quote left open swallows the rest of the file into one record: it must stop at the limit, not at the end.
    await landRaw(local, 'notes/open-quote.csv', `id,body\n1,"never closed\n${'2,filler text\n'.repeat(100_000)}`);
    const manifest = await processObject('notes/open-quote.csv', contract, local.lake);
    expect(manifest.outcome).toBe('rejected');
    expect(manifest.rejectReason).toBe(
      'notes/open-quote.csv: line 2: a record longer than 4,096 characters (source.max_record_chars); is a quote left open?',
    );
    await landRaw(local, 'notes/long.csv', `id,body\n1,${'x'.repeat(3000)}\n`);
    expect((await processObject('notes/long.csv', contract, local.lake)).rowsWritten).toBe(1);
  });

  it('partitions by ingest date when the data has no date', async () => {
    const contract = contractFrom(`
name: notes
source: { prefix: notes/ }
columns:
  - { name: id, type: int, required: true }
partition_by: { column: ingest_date }
`);
    await landRaw(local, 'notes/a.csv', 'id\n1\n2\n');
    const manifest = await processObject('notes/a.csv', contract, local.lake);
    expect(manifest.partitions).toEqual([`ingest_date=${new Date(manifest.startedAt).toISOString().slice(0, 10)}/`]);
  });
});
