import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, readText, tempLake } from '../../support/local.js';

const contract = (scope: string) =>
  contractFrom(`name: bars
source: { prefix: bars/ }
columns:
  - { name: ticker, type: string, required: true }
  - { name: trade_date, type: date, required: true }
  - { name: close, type: double }
primary_key: [ticker, trade_date]
primary_key_scope: ${scope}
partition_by: { column: trade_date, layout: date }
`);

describe('primary_key_scope: table', () => {
  it('quarantines a key the table already holds from another source file, under unique', async () => {
    const local = await tempLake();
    try {
      const table = contract('table');
      await landRaw(local, 'bars/a.csv', 'ticker,trade_date,close\nNVDA,2024-03-01,1\nNVDA,2024-03-04,2\n');
      await processObject('bars/a.csv', table, local.lake);
      await landRaw(local, 'bars/b.csv', 'ticker,trade_date,close\nNVDA,2024-03-04,3\nAAPL,2024-03-04,4\nNVDA,2024-03-05,5\n');
      const second = await processObject('bars/b.csv', table, local.lake);
      expect(second).toMatchObject({ rowsRead: 3, rowsWritten: 2, rowsQuarantined: 1, quarantinedByRule: { unique: 1 } });
      expect(await readText(local, 'quarantine', second.quarantineFile!)).toMatch(/NVDA,2024-03-04,3,unique,"ticker,trade_date",.*is already in the table \(a-[0-9a-f]{8}\.parquet\)/);
      // The same file again replaces its own rows: its own earlier output does not count against it.
      const again = await processObject('bars/a.csv', table, local.lake);
      expect(again).toMatchObject({ rowsWritten: 2, rowsQuarantined: 0 });
      // Within the file only (the default), the second file's row is written.
      await landRaw(local, 'bars/c.csv', 'ticker,trade_date,close\nNVDA,2024-03-01,9\n');
      expect(await processObject('bars/c.csv', contract('file'), local.lake)).toMatchObject({ rowsWritten: 1, rowsQuarantined: 0 });
    } finally {
      await local.cleanup();
    }
  });

  it('is refused for keys it cannot compare, and without a key', () => {
    expect(() => contractFrom('name: t\nsource: { prefix: t/ }\ncolumns: [{ name: d, type: date, required: true }]\nprimary_key_scope: table\npartition_by: { column: d }\n')).toThrow('primary_key_scope: table needs a primary_key');
  });
});
