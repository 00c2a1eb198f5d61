import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runQuery } from '../../../src/adapters/local/duckdb-query.js';
import { ingestObject } from '../../../src/pipeline/run/ingest.js';
import { refreshAfterRuns, runModels } from '../../../src/cli/commands/models.js';
import type { DatasetContract } from '../../../src/pipeline/contract/contract.js';
import { contractFrom, landRaw, salesContract, tempLake } from '../../support/local.js';

const HEADER = 'order_id,customer_id,product,quantity,price,order_date,notes';
type Lake = Awaited<ReturnType<typeof tempLake>>;

async function ingestAndRefresh(local: Lake, contracts: DatasetContract[], key: string, csv: string) {
  await landRaw(local, key, csv);
  const result = await ingestObject(key, { ...local, contracts });
  if (result.status !== 'processed') throw new Error(`not processed: ${JSON.stringify(result)}`);
  return refreshAfterRuns({ local, contracts }, 'models', [{ contract: contracts[0]!, manifest: result.manifest }], () => undefined);
}

const rows = async (local: Lake, sql: string) => (await runQuery(local.catalog, sql)).rows;

describe('gold models on the local lake', () => {
  let local: Lake;
  let contracts: DatasetContract[];
  beforeEach(async () => {
    local = await tempLake();
    contracts = [await salesContract()];
  });
  afterEach(() => local.cleanup());

  it('builds daily_revenue and top_products from sales_orders_current, one row per key across files', async () => {
    const first = await ingestAndRefresh(local, contracts, 'sales/orders/a.csv', `${HEADER}\n1,C1,Lamp,2,10.00,2024-03-01,\n2,C2,Desk,1,100.00,2024-03-02,\n`);
    expect(first.map((r) => [r.model, r.partitions])).toEqual([
      ['daily_revenue', ['2024']],
      ['lake_quarantine', []], // views over the manifests, created on their first refresh
      ['lake_runs', []],
      ['top_products', ['*']],
    ]);
    expect(await rows(local, 'SELECT order_date, orders, units, revenue FROM daily_revenue ORDER BY order_date')).toEqual([
      ['2024-03-01', '1', '2', '20.00'],
      ['2024-03-02', '1', '1', '100.00'],
    ]);

    // A later file re-exports order 1 with a new quantity: the latest version wins, counted once.
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later mtime for the later file
    await ingestAndRefresh(local, contracts, 'sales/orders/b.csv', `${HEADER}\n1,C1,Lamp,5,10.00,2024-03-01,re-export\n3,C3,Lamp,1,10.00,2025-01-02,\n`);
    expect(await rows(local, 'SELECT count(*), count(DISTINCT order_id) FROM sales_orders')).toEqual([['4', '3']]);
    expect(await rows(local, 'SELECT order_id, quantity, _source_key FROM sales_orders_current ORDER BY order_id')).toEqual([
      ['1', 5, 'sales/orders/b.csv'],
      ['2', 1, 'sales/orders/a.csv'],
      ['3', 1, 'sales/orders/b.csv'],
    ]);
    expect(await rows(local, 'SELECT order_date, orders, units, revenue, partition_year FROM daily_revenue ORDER BY order_date')).toEqual([
      ['2024-03-01', '1', '5', '50.00', '2024'],
      ['2024-03-02', '1', '1', '100.00', '2024'],
      ['2025-01-02', '1', '1', '10.00', '2025'],
    ]);
    expect(await rows(local, 'SELECT product, units, revenue FROM top_products ORDER BY revenue DESC')).toEqual([
      ['Desk', '1', '100.00'],
      ['Lamp', '6', '60.00'],
    ]);
    // The same as the query by hand over the silver table.
    expect(await rows(local, 'SELECT * FROM daily_revenue EXCEPT SELECT order_date, count(*), sum(quantity), sum(total_amount), CAST(year(order_date) AS VARCHAR) FROM sales_orders_current GROUP BY ALL')).toEqual([]);
  });

  it('swaps a partition to a fresh directory and removes the old one after', async () => {
    await ingestAndRefresh(local, contracts, 'sales/orders/a.csv', `${HEADER}\n1,C1,Lamp,2,10.00,2024-03-01,\n`);
    const root = path.join(local.root, 'processed', 'models', 'daily_revenue', 'partition_year=2024');
    const before = await readdir(root);
    await ingestAndRefresh(local, contracts, 'sales/orders/b.csv', `${HEADER}\n2,C1,Lamp,2,10.00,2024-03-01,\n`);
    const after = await readdir(root);
    expect(before).toHaveLength(1);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expect(await rows(local, "SELECT location FROM glueless_partitions WHERE table_name = 'daily_revenue'")).toEqual([[path.join(root, after[0]!)]]);
  });

  it('two refreshes of one partition at once lose nothing', async () => {
    await ingestAndRefresh(local, contracts, 'sales/orders/seed.csv', `${HEADER}\n1,C1,Lamp,1,10.00,2024-03-01,\n`);
    const files = Array.from({ length: 4 }, (_, i) => [`sales/orders/c${i}.csv`, `${HEADER}\n${10 + i},C1,Lamp,1,10.00,2024-03-01,\n`] as const);
    await Promise.all(files.map(([key, csv]) => ingestAndRefresh(local, contracts, key, csv)));
    expect(await rows(local, 'SELECT orders, units FROM daily_revenue')).toEqual([['5', '5']]);
  });

  it('refreshes only the affected partitions, and `models run --full` rebuilds', async () => {
    await ingestAndRefresh(local, contracts, 'sales/orders/a.csv', `${HEADER}\n1,C1,Lamp,2,10.00,2023-03-01,\n2,C1,Lamp,2,10.00,2024-03-01,\n`);
    const later = await ingestAndRefresh(local, contracts, 'sales/orders/b.csv', `${HEADER}\n3,C1,Lamp,2,10.00,2024-05-01,\n`);
    expect(later.find((r) => r.model === 'daily_revenue')!.partitions).toEqual(['2024']);
    const lines: string[] = [];
    expect(await runModels({ local, contracts }, 'models', undefined, {}, (l) => lines.push(l))).toEqual([]);
    const full = await runModels({ local, contracts }, 'models', 'daily_revenue', { full: true }, (l) => lines.push(l));
    expect(full.map((r) => [r.model, r.partitions])).toEqual([['daily_revenue', ['2023', '2024']]]);
    expect(lines.at(-1)).toBe('model daily_revenue: 2 partitions refreshed (2023, 2024), 3 rows');
  });

  it('writes several periods from one evaluation and swaps them in together: a period that fails leaves every old one', async () => {
    await ingestAndRefresh(local, contracts, 'sales/orders/a.csv', `${HEADER}\n1,C1,Lamp,2,10.00,2023-03-01,\n2,C1,Lamp,2,10.00,2024-03-01,\n`);
    const models = path.join(local.root, 'processed', 'models', 'daily_revenue');
    const before = await rows(local, "SELECT spec, location FROM glueless_partitions WHERE table_name = 'daily_revenue' ORDER BY spec");
    const beforeDirectories = { 2023: await readdir(path.join(models, 'partition_year=2023')), 2024: await readdir(path.join(models, 'partition_year=2024')) };
    // 2025's directory cannot be made (a file is in the way), after 2023's and 2024's new files are written.
    await writeFile(path.join(models, 'partition_year=2025'), 'in the way');
    await expect(
      ingestAndRefresh(local, contracts, 'sales/orders/b.csv', `${HEADER}\n1,C1,Lamp,5,10.00,2023-03-01,\n2,C1,Lamp,5,10.00,2024-03-01,\n3,C1,Lamp,1,10.00,2025-01-01,\n`),
    ).rejects.toThrow(/model daily_revenue: refresh failed/);
    expect(await rows(local, "SELECT spec, location FROM glueless_partitions WHERE table_name = 'daily_revenue' ORDER BY spec")).toEqual(before);
    expect(await rows(local, 'SELECT order_date, units FROM daily_revenue ORDER BY order_date')).toEqual([['2023-03-01', '2'], ['2024-03-01', '2']]);
    expect({ 2023: await readdir(path.join(models, 'partition_year=2023')), 2024: await readdir(path.join(models, 'partition_year=2024')) }).toEqual(beforeDirectories);

    const retried = await runModels({ local, contracts }, 'models', 'daily_revenue', { full: true }, () => undefined).catch((e: Error) => e);
    expect(retried).toBeInstanceOf(Error);
    await rm(path.join(models, 'partition_year=2025'));
    const rebuilt = await runModels({ local, contracts }, 'models', 'daily_revenue', { full: true }, () => undefined);
    expect(rebuilt.map((r) => [r.partitions, r.rows])).toEqual([[['2023', '2024', '2025'], 3]]);
    expect(await rows(local, 'SELECT order_date, units FROM daily_revenue ORDER BY order_date')).toEqual([['2023-03-01', '5'], ['2024-03-01', '5'], ['2025-01-01', '1']]);
  });

  it('`<table>_current` follows its table when the table gains a column', async () => {
    const v1 = `
name: sales_orders
source: { prefix: sales/orders/ }
columns:
  - { name: order_id, type: bigint, required: true }
  - { name: customer_id, type: string, required: true }
  - { name: product, type: string, required: true }
  - { name: quantity, type: int, required: true }
  - { name: price, type: "decimal(10,2)", required: true }
  - { name: order_date, type: date, required: true }
  - { name: notes, type: string }
primary_key: [order_id]
derived:
  - { name: total_amount, type: "decimal(18,2)", expr: quantity * price }
partition_by: { column: order_date }
`;
    const modelsDirectory = path.join(local.root, 'my-models');
    await mkdir(modelsDirectory);
    await writeFile(path.join(modelsDirectory, 'latest_orders.sql'), '-- materialized: table\nSELECT * FROM sales_orders_current\n');
    await landRaw(local, 'sales/orders/a.csv', `${HEADER}\n1,C1,Lamp,2,10.00,2024-03-01,\n`);
    const first = await ingestObject('sales/orders/a.csv', { ...local, contracts: [contractFrom(v1)] });
    if (first.status !== 'processed') throw new Error('not processed');
    await refreshAfterRuns({ local, contracts: [contractFrom(v1)] }, modelsDirectory, [{ contract: contractFrom(v1), manifest: first.manifest }], () => undefined);

    const v2 = [contractFrom(`${v1}\n`.replace('  - { name: notes, type: string }', '  - { name: notes, type: string }\n  - { name: channel, type: string }'))];
    await landRaw(local, 'sales/orders/b.csv', `${HEADER},channel\n2,C1,Lamp,1,10.00,2024-03-02,,web\n`);
    const second = await ingestObject('sales/orders/b.csv', { ...local, contracts: v2 });
    if (second.status !== 'processed') throw new Error('not processed');
    await refreshAfterRuns({ local, contracts: v2 }, modelsDirectory, [{ contract: v2[0]!, manifest: second.manifest }], () => undefined);
    expect(await rows(local, 'SELECT order_id, channel FROM sales_orders_current ORDER BY order_id')).toEqual([['1', null], ['2', 'web']]);
    expect(await rows(local, 'SELECT order_id, channel FROM latest_orders ORDER BY order_id')).toEqual([['1', null], ['2', 'web']]);
  });
});
