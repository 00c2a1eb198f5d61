import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GLUELESS_BIN, glueless } from '../support/cli.js';

const exec = promisify(execFile);

/**
 * A file over many more partitions than a run writes itself: past the first few hundred, its small files go through
 * the compiled CLI's writer thread (dist/cli/file-writer-thread.js). Every row lands, once, and nothing half-made stays.
 */
describe('glueless ingest over many partitions', () => {
  let work: string;
  beforeAll(async () => (work = await mkdtemp(path.join(tmpdir(), 'glueless-many-'))));
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('writes 600 partitions through the writer thread and the table holds every row', async () => {
    const days = 600;
    const lines = ['order_id,customer_id,product,quantity,price,order_date,notes'];
    for (let i = 0; i < days * 3; i++) {
      const date = new Date(Date.UTC(2020, 0, 1) + (i % days) * 86_400_000).toISOString().slice(0, 10);
      lines.push(`${i + 1},c${i % 7},p${i % 5},${1 + (i % 4)},${(i % 90) + 0.5},${date},`);
    }
    const csv = path.join(work, 'orders.csv');
    await writeFile(csv, `${lines.join('\n')}\n`);
    const lake = path.join(work, 'lake');
    const trace = path.join(work, 'imports.txt');
    await exec(
      process.execPath,
      ['--import', path.resolve('tests/support/trace-imports.mjs'), GLUELESS_BIN, '--lake', lake, '--datasets', 'datasets', 'ingest', '--dataset', 'sales_orders', csv],
      { env: { ...process.env, GLUELESS_TRACE_IMPORTS: trace, GLUELESS_MODELS: path.join(work, 'no-models') } },
    );
    expect(await readFile(trace, 'utf8')).toMatch(/\/dist\/cli\/file-writer-thread\.js$/m);

    const files = await readdir(path.join(lake, 'processed'), { recursive: true });
    expect(files.filter((f) => f.endsWith('.parquet'))).toHaveLength(days);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    const query = await glueless([
      '--lake', lake, '--datasets', 'datasets', 'query', '--format', 'csv',
      'SELECT count(*) AS n, count(DISTINCT order_id) AS ids, count(DISTINCT order_date) AS days, sum(quantity) AS quantity FROM sales_orders',
    ]);
    expect(query.stderr).toBe('');
    const quantity = Array.from({ length: days * 3 }, (_, i) => 1 + (i % 4)).reduce((a, b) => a + b, 0);
    expect(query.stdout).toBe(`n,ids,days,quantity\n${days * 3},${days * 3},${days},${quantity}\n`);
  });
});
