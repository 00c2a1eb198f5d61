import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { openLocalLake } from '../../src/adapters/local/local-lake.js';
import { ingestFiles } from '../../src/cli/commands/ingest.js';
import { replayQuarantineFile } from '../../src/cli/commands/replay.js';
import { expectedRowsSql } from '../support/oracle-sql.js';

/** Fixes the three bad rows of the sample the way a user would, in a CSV editor. */
function fixQuarantineCsv(text: string): string {
  const lines = text.split('\n');
  const duplicate = lines.map((line) => line.startsWith('102394,')).lastIndexOf(true); // the later of the two rows
  return lines
    .map((line, index) => line.replace(/^(\d+),,/, '$1,C09999,').replace(/,three,/, ',3,').replace(/^102394,/, (match) => (index === duplicate ? '109999,' : match)))
    .join('\n');
}

describe('glueless replay', () => {
  it('lands fixed quarantined rows; the table then equals the corrected source', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'glueless-replay-'));
    try {
      const local = await openLocalLake(path.join(work, 'lake'));
      const contracts = await loadContractDirectory('datasets');
      const lines: string[] = [];
      const [manifest] = await ingestFiles(['samples/sales_orders.csv'], undefined, { local, contracts }, (l) => lines.push(l));
      expect(manifest!.rowsQuarantined).toBe(3);

      const quarantineFile = local.lake.quarantine.locationOf(manifest!.quarantineFile!);
      const fixedFile = path.join(path.dirname(quarantineFile), 'fixed.csv');
      await writeFile(fixedFile, fixQuarantineCsv(await readFile(quarantineFile, 'utf8')));
      const replayed = await replayQuarantineFile(fixedFile, undefined, { local, contracts }, (l) => lines.push(l));
      expect(replayed).toMatchObject({ rowsRead: 3, rowsWritten: 3, rowsQuarantined: 0 });
      expect((await local.lake.raw.list('sales/orders/replay/')).map(({ key, size }) => ({ key, size }))).toEqual([{ key: 'sales/orders/replay/fixed.csv', size: expect.any(Number) }]);

      // The corrected source: the sample with the same three fixes applied in place.
      const corrected = path.join(work, 'corrected.csv');
      await writeFile(corrected, fixQuarantineCsv(await readFile('samples/sales_orders.csv', 'utf8')));
      const duck = await (await DuckDBInstance.create(':memory:')).connect();
      const expected = await duck.runAndReadAll(`SELECT count(*), sum(total_amount), sum(quantity) FROM (${expectedRowsSql(corrected)})`);
      duck.closeSync();
      const actual = await runQuery(local.catalog, 'SELECT count(*), sum(total_amount), sum(quantity) FROM sales_orders');
      expect(actual.rows[0]!.map(String)).toEqual(expected.getRowsJS()[0]!.map(String));
      expect(Number(actual.rows[0]![0])).toBe(3000);

      // Replaying the same file again overwrites: the row count does not grow.
      await replayQuarantineFile(fixedFile, undefined, { local, contracts }, () => undefined);
      const again = await runQuery(local.catalog, 'SELECT count(*) FROM sales_orders');
      expect(Number(again.rows[0]![0])).toBe(3000);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
