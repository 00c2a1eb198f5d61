import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { openLocalLake } from '../../src/adapters/local/local-lake.js';
import { ingestFiles } from '../../src/cli/commands/ingest.js';
import { redrive } from '../../src/cli/commands/redrive.js';

describe('a failed local ingest', () => {
  it('is recorded in the lake and redriven once its cause is fixed', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'glueless-failed-'));
    try {
      const datasets = path.join(work, 'datasets');
      await mkdir(datasets);
      const yaml = await readFile('datasets/sales_orders.yaml', 'utf8');
      await writeFile(path.join(datasets, 'sales_orders.yaml'), yaml);
      const local = await openLocalLake(path.join(work, 'lake'));
      await ingestFiles(['samples/sales_orders.csv'], undefined, { local, contracts: await loadContractDirectory(datasets) }, () => undefined);

      // A contract change the table cannot take: the next file's run fails (not a bad file: a bad deployment).
      await writeFile(path.join(datasets, 'sales_orders.yaml'), yaml.replace('type: int, required: true', 'type: double, required: true'));
      const second = path.join(work, 'more_orders.csv');
      await writeFile(second, 'order_id,customer_id,product,quantity,price,order_date,notes\n9000001,C1,Lamp,2,3.00,2024-04-01,\n');
      await expect(
        ingestFiles([second], undefined, { local, contracts: await loadContractDirectory(datasets) }, () => undefined),
      ).rejects.toThrow(/changes column quantity from int to double/);
      expect(await readdir(path.join(local.root, 'failed'))).toHaveLength(1);

      await writeFile(path.join(datasets, 'sales_orders.yaml'), yaml);
      const lines: string[] = [];
      await redrive({ lake: local.root, datasets }, (line) => lines.push(line));
      expect(lines.at(-1)).toMatch(/1 succeeded, 0 failed/);
      expect(await readdir(path.join(local.root, 'failed'))).toEqual([]);
      const count = await runQuery(local.catalog, 'SELECT count(*) FROM sales_orders');
      expect(Number(count.rows[0]![0])).toBe(2998);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
