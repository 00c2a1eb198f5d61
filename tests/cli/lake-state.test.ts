import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { glueless } from '../support/cli.js';

/** A mistyped --lake: said in one line; a command that only reads makes nothing. */
describe('glueless on a lake that is not there or holds nothing', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-lake-state-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  const missingLine = (dir: string) => `glueless: lake ${dir} does not exist (check --lake or GLUELESS_LAKE; ingest makes one)\n`;

  it.each([
    ['query', ['query', 'SELECT count(*) FROM sales_orders']],
    ['tables', ['tables']],
    ['dashboard', ['dashboard', '--out', 'site']],
    ['redrive', ['redrive']],
  ])('%s on a lake that does not exist: one line, exit 1, no directory made', async (_name, args) => {
    const result = await glueless(['--lake', './lak', ...args], { cwd: work });
    expect(result).toMatchObject({ code: 1, stderr: missingLine('./lak'), stdout: '' });
    expect(await readdir(work)).toEqual([]);
  });

  it('on a directory that holds nothing: tables and redrive say it is new and make nothing; query says so and fails', async () => {
    await mkdir(path.join(work, 'empty'));
    const tables = await glueless(['--lake', 'empty', 'tables'], { cwd: work });
    expect(tables).toMatchObject({ code: 0, stderr: 'glueless: lake empty is new (no tables yet)\n' });
    expect(tables.stdout).toMatch(/table/);
    const redrive = await glueless(['--lake', 'empty', 'redrive'], { cwd: work });
    expect(redrive).toMatchObject({ code: 0, stderr: 'glueless: lake empty is new (no tables yet)\n', stdout: 'redrive: 0 events, 0 succeeded, 0 failed (kept for the next redrive)\n' });
    const query = await glueless(['--lake', 'empty', 'query', 'SELECT 1'], { cwd: work });
    expect(query).toMatchObject({ code: 1, stderr: 'glueless: lake empty is new (no tables yet)\n' });
    expect(await readdir(path.join(work, 'empty'))).toEqual([]);
  });

  it('ingest into a new lake says so once; the next ingest says nothing', async () => {
    const datasets = path.resolve('datasets');
    const first = await glueless(['--lake', 'lake', '--datasets', datasets, 'ingest', path.resolve('samples/sales_orders.csv')], { cwd: work });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^new lake at lake\n/);
    const again = await glueless(['--lake', 'lake', '--datasets', datasets, 'ingest', path.resolve('samples/sales_orders.csv')], { cwd: work });
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).not.toMatch(/new lake/);
    const tables = await glueless(['--lake', 'lake', '--datasets', datasets, 'tables'], { cwd: work });
    expect(tables).toMatchObject({ code: 0, stderr: '' });
    expect(tables.stdout).toMatch(/sales_orders/);
  });
});
