import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openLocalLake } from '../../src/adapters/local/local-lake.js';
import { glueless, spawnGlueless } from '../support/cli.js';

/**
 * Several glueless commands on one lake at once, as people run them in two terminals: each holds the DuckDB catalog
 * only while it uses it and waits (bounded, with a message) while another process holds it.
 */
describe('glueless commands at the same time on one lake', () => {
  let work: string;
  let lake: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-concurrent-'));
    lake = path.join(work, 'lake');
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  /** The sample with its order ids moved by `offset`: four files with no order in common. */
  async function variant(index: number): Promise<string> {
    const lines = (await readFile('samples/sales_orders.csv', 'utf8')).split('\n');
    const moved = lines.map((line, i) => (i === 0 ? line : line.replace(/^(\d+),/, (_, id: string) => `${Number(id) + index * 1_000_000},`)));
    const file = path.join(work, `orders_${index}.csv`);
    await writeFile(file, moved.join('\n'));
    return file;
  }

  it('four ingests of different files started together all succeed, queries meanwhile too, and every row is counted once', async () => {
    const files = await Promise.all([0, 1, 2, 3].map(variant));
    // The lake exists, empty: a query on a lake that does not exist fails at once (it would race the ingests here).
    await openLocalLake(lake);
    const runs = [
      ...files.map((file) => spawnGlueless(['--lake', lake, 'ingest', file, '--dataset', 'sales_orders'])),
      ...[0, 1].map(() => spawnGlueless(['--lake', lake, 'query', 'SELECT 1 AS one', '--format', 'csv'])),
      spawnGlueless(['--lake', lake, 'tables']),
    ];
    const results = await Promise.all(runs);
    // Each command's exit code, with what it said when it failed: a failure names its cause.
    expect(results.map((r) => (r.code === 0 ? 0 : `exit ${r.code}: ${r.stderr}`))).toEqual(results.map(() => 0));
    for (const result of results.slice(0, 4)) expect(result.stdout).toMatch(/3,000 rows read, 2,997 written, 3 quarantined/);

    const counted = await glueless(['--lake', lake, 'query', 'SELECT count(*) AS n, count(DISTINCT order_id) AS ids FROM sales_orders', '--format', 'csv']);
    expect(counted).toMatchObject({ code: 0, stdout: `n,ids\n${4 * 2997},${4 * 2997}\n` });
  });

  it('a command waits for a catalog another process holds, says so, and fails in one line when the wait runs out', async () => {
    expect((await glueless(['--lake', lake, 'ingest', 'samples/sales_orders.csv'])).code).toBe(0);
    const held = await DuckDBInstance.create(path.join(lake, 'catalog.duckdb'));
    const env = { ...process.env, GLUELESS_LAKE: '', GLUELESS_DATASETS: '', GLUELESS_CATALOG_WAIT_SECONDS: '1' };
    const timedOut = await glueless(['--lake', lake, 'tables'], { env });
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toMatch(/^glueless: waiting for the local catalog .*catalog\.duckdb: another process holds it \(up to 1 s\)\n/);
    expect(timedOut.stderr).toMatch(/\nglueless: local catalog .*catalog\.duckdb is still held by another process after 1 s/);

    const waiting = spawnGlueless(['--lake', lake, 'tables'], { env: { ...env, GLUELESS_CATALOG_WAIT_SECONDS: '60' } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    held.closeSync();
    const result = await waiting;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/sales_orders\s+│\s+7 │\s+2997 │/);
  });
});
