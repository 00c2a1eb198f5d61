import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { runQuery } from '../../../src/adapters/local/duckdb-query.js';
import { ingestObject } from '../../../src/pipeline/run/ingest.js';
import type { Catalog, Notifier, RunNotice } from '../../../src/pipeline/contract/ports.js';
import { landRaw, salesContract, tempLake } from '../../support/local.js';

type Lake = Awaited<ReturnType<typeof tempLake>>;

/** Every object of the lake's zones with a hash of its bytes; run manifests are left out (they hold timings). */
async function lakeState(local: Lake): Promise<string[]> {
  const state: string[] = [];
  for (const zone of ['raw', 'processed', 'quarantine'] as const) {
    for (const { key } of await local.lake[zone].list('')) {
      if (key.startsWith('manifests/') || key.endsWith('.reason.json')) continue;
      const bytes = await readFile(local.lake[zone].locationOf(key));
      state.push(`${zone}/${key} ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`);
    }
  }
  return state;
}

describe('ingestObject: what the S3 trigger does', () => {
  let local: Lake;
  beforeEach(async () => {
    local = await tempLake();
  });
  afterEach(() => local.cleanup());

  it('publishes SUCCEEDED only after the partitions are registered', async () => {
    const events: string[] = [];
    const catalog: Catalog = {
      ensureTable: async (c, l) => (events.push('ensureTable'), local.catalog.ensureTable(c, l)),
      addColumns: async (c, cols) => (events.push('addColumns'), local.catalog.addColumns(c, cols)),
      addPartitions: async (c, p) => (events.push(`addPartitions ${p.length}`), local.catalog.addPartitions(c, p)),
    };
    const notifier: Notifier = { publish: async (n: RunNotice) => void events.push(`notice ${n.status} ${n.manifest?.rowsWritten}`) };
    await landRaw(local, 'sales/orders/s.csv', await readFile('samples/sales_orders.csv'));
    await ingestObject('sales/orders/s.csv', { lake: local.lake, catalog, notifier, contracts: [await salesContract()] });
    expect(events).toEqual(['ensureTable', 'addPartitions 7', 'notice SUCCEEDED 2997']);
  });

  it('publishes FAILED with the reason and rethrows when the catalog fails', async () => {
    const notices: RunNotice[] = [];
    const catalog: Catalog = {
      ensureTable: async () => {
        throw new Error('Athena query failed: FAILED: insufficient permissions');
      },
      addColumns: async () => undefined,
      addPartitions: async () => undefined,
    };
    await landRaw(local, 'sales/orders/s.csv', await readFile('samples/sales_orders.csv'));
    const run = ingestObject('sales/orders/s.csv', { lake: local.lake, catalog, notifier: { publish: async (n) => void notices.push(n) }, contracts: [await salesContract()] });
    await expect(run).rejects.toThrow(/insufficient permissions/);
    expect(notices).toEqual([
      { status: 'FAILED', dataset: 'sales_orders', source: local.lake.raw.locationOf('sales/orders/s.csv'), error: 'Athena query failed: FAILED: insufficient permissions' },
    ]);
  });

  it('a run whose registration fails leaves none of its rows visible, even in partitions another run registered', async () => {
    const contracts = [await salesContract()];
    const csv = await readFile('samples/sales_orders.csv');
    const notifier: Notifier = { publish: async () => undefined };
    await landRaw(local, 'sales/orders/a.csv', csv);
    await ingestObject('sales/orders/a.csv', { lake: local.lake, catalog: local.catalog, notifier, contracts });
    const failing: Catalog = {
      ensureTable: (c, l) => local.catalog.ensureTable(c, l),
      addColumns: (c, cols) => local.catalog.addColumns(c, cols),
      addPartitions: async () => {
        throw new Error('local catalog .lake/catalog.duckdb is still held by another process after 120 s');
      },
    };
    await landRaw(local, 'sales/orders/b.csv', csv);
    await expect(ingestObject('sales/orders/b.csv', { lake: local.lake, catalog: failing, notifier, contracts })).rejects.toThrow(/still held/);
    const count = await runQuery(local.catalog, 'SELECT count(*)::INTEGER AS n FROM sales_orders');
    expect(count.rows).toEqual([[2997]]);
    expect((await local.lake.processed.list('tables/')).filter((o) => o.key.includes('/b-'))).toEqual([]);
  });

  it('the same event processed three times, or twice at the same moment, leaves an identical lake', async () => {
    const contracts = [await salesContract()];
    await landRaw(local, 'sales/orders/s.csv', await readFile('samples/sales_orders.csv'));
    await ingestObject('sales/orders/s.csv', { ...local, contracts });
    const once = await lakeState(local);
    await ingestObject('sales/orders/s.csv', { ...local, contracts });
    await ingestObject('sales/orders/s.csv', { ...local, contracts });
    expect(await lakeState(local)).toEqual(once);
    await Promise.all([ingestObject('sales/orders/s.csv', { ...local, contracts }), ingestObject('sales/orders/s.csv', { ...local, contracts })]);
    expect(await lakeState(local)).toEqual(once);
    const count = await runQuery(local.catalog, 'SELECT count(*) FROM sales_orders');
    expect(Number(count.rows[0]![0])).toBe(2997);
  });

  it('500 small files ingested concurrently: each processed once, total rows exact', async () => {
    const contracts = [await salesContract()];
    const header = 'order_id,customer_id,product,quantity,price,order_date,notes';
    const files = Array.from({ length: 500 }, (_, f) => ({
      key: `sales/orders/batch/f${String(f).padStart(3, '0')}.csv`,
      rows: Array.from({ length: 10 }, (_, r) => `${f * 100 + r},C${r},Lamp,${(r % 3) + 1},2.50,2024-03-0${(f % 5) + 1},`),
    }));
    for (const file of files) await landRaw(local, file.key, `${header}\n${file.rows.join('\n')}\n`);
    const processed = new Map<string, number>();
    const queue = [...files];
    const worker = async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const result = await ingestObject(file.key, { ...local, contracts });
        if (result.status !== 'processed') throw new Error(`${file.key}: ${result.status}`);
        processed.set(file.key, (processed.get(file.key) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(processed.size).toBe(500);
    expect([...processed.values()].every((n) => n === 1)).toBe(true);
    const totals = await runQuery(local.catalog, 'SELECT count(*), sum(quantity), count(DISTINCT order_date) FROM sales_orders');
    expect(totals.rows[0]!.map(Number)).toEqual([5000, 500 * (4 * 1 + 3 * 2 + 3 * 3), 5]);
    expect((await local.lake.processed.list('tables/')).length).toBe(500);
  });
});
