/**
 * The dashboard's data over a real local lake (DuckDB catalog): the page's queries run on models with exactly the
 * fixed columns, a lake without a model says which, a model whose columns drifted is named with the error, numbers
 * arrive as numbers, and the embedded JSON cannot break out of the page.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDbLakeReader } from '../../src/adapters/local/duckdb-lake-reader.js';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { ingestFiles } from '../../src/cli/commands/ingest.js';
import { collectDashboardData, type DashboardData } from '../../src/dashboard/collect.js';
import { renderPage } from '../../src/dashboard/page.js';
import { DASHBOARD_QUERIES } from '../../src/dashboard/queries.js';
import { GOLD_COLUMNS } from '../support/gold-columns.js';
import { createGoldStandIns } from '../support/gold-stand-ins.js';
import { tempLake } from '../support/local.js';

describe('dashboard data', () => {
  let lake: Awaited<ReturnType<typeof tempLake>>;

  beforeAll(async () => {
    lake = await tempLake();
    const contracts = await loadContractDirectory('datasets');
    await ingestFiles(['samples/sales_orders.csv'], 'sales_orders', { local: lake, contracts }, () => {});
  }, 60_000);
  afterAll(() => lake.cleanup());

  it('names every model a lake does not have yet', async () => {
    const data = await collectDashboardData(new DuckDbLakeReader(lake.catalog), lake.root);
    for (const [key, query] of Object.entries(DASHBOARD_QUERIES)) {
      expect(data.datasets[key as keyof typeof DASHBOARD_QUERIES]).toEqual({ status: 'missing', model: query.model });
    }
  });

  it('reads every dataset from models with exactly the fixed columns, numbers as numbers', async () => {
    await createGoldStandIns(lake.catalog);
    for (const [model, columns] of Object.entries(GOLD_COLUMNS)) {
      const result = await runQuery(lake.catalog, `SELECT * FROM ${model} LIMIT 0`);
      expect({ model, columns: result.columns }).toEqual({ model, columns });
    }
    const data = await collectDashboardData(new DuckDbLakeReader(lake.catalog), lake.root);
    for (const [key, set] of Object.entries(data.datasets)) {
      expect({ key, status: set.status, rows: set.status === 'ok' && set.rows.length > 0 }).toEqual({ key, status: 'ok', rows: true });
    }
    const revenue = data.datasets.dailyRevenue;
    if (revenue.status !== 'ok') throw new Error('dailyRevenue not read');
    expect(revenue.columns).toEqual(['order_date', 'orders', 'units', 'revenue']);
    const [date, orders, units, amount] = revenue.rows[0]!;
    expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect([typeof orders, typeof units, typeof amount]).toEqual(['number', 'number', 'number']);
    const expected = await runQuery(lake.catalog, `SELECT CAST(sum(total_amount) AS DOUBLE) FROM sales_orders WHERE order_date = DATE '${date}'`);
    expect(amount).toBeCloseTo(Number(expected.rows[0]![0]), 2);
  });

  it('shows a model whose columns drifted as an error naming it, and reads the rest', async () => {
    await runQuery(lake.catalog, 'ALTER TABLE top_products RENAME COLUMN revenue TO amount');
    try {
      const data = await collectDashboardData(new DuckDbLakeReader(lake.catalog), lake.root);
      expect(data.datasets.topProducts).toEqual({ status: 'error', model: 'top_products', message: expect.stringMatching(/revenue/) });
      expect(data.datasets.dailyRevenue.status).toBe('ok');
    } finally {
      await runQuery(lake.catalog, 'ALTER TABLE top_products RENAME COLUMN amount TO revenue');
    }
  });
});

describe('dashboard page', () => {
  it('embeds the data so that no value can close its script element', () => {
    const hostile = '</script><script>alert(1)</script>';
    const data: DashboardData = {
      generatedAt: '2026-12-01T00:00:00.000Z',
      lake: '/tmp/<lake>',
      datasets: { ...Object.fromEntries(Object.entries(DASHBOARD_QUERIES).map(([key, q]) => [key, { status: 'missing', model: q.model }])) } as DashboardData['datasets'],
    };
    data.datasets.topProducts = { status: 'ok', columns: ['product', 'units', 'revenue'], rows: [[hostile, 1, 2]] };
    const page = renderPage(data);
    expect(page).not.toContain(hostile);
    const embedded = /<script type="application\/json" id="dashboard-data">([^<]*)<\/script>/.exec(page);
    expect(JSON.parse(embedded![1]!)).toEqual(data);
    expect(page).toContain('/tmp/&#60;lake&#62;');
    // The library is loaded from beside the page, never from a CDN.
    expect([...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1])).toEqual(['echarts.min.js']);
  });
});

describe('src/dashboard', () => {
  it('is a pure core: it imports only its own files (the lake comes in through ports.ts)', () => {
    const dir = path.resolve('src/dashboard');
    const offences = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(path.join(dir, file), 'utf8').matchAll(/(?:import|export)[^'";]*?from\s*'([^']+)'/g)]
          .map((m) => m[1]!)
          .filter((spec) => !/^\.\/[\w-]+\.js$/.test(spec))
          .map((spec) => `${file} → ${spec}`),
      );
    expect(offences).toEqual([]);
  });
});
