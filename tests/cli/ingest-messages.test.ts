import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { glueless } from '../support/cli.js';

/** What a user reads when `glueless ingest` refuses a file: the file as they named it, and where in it the fault is. */
describe('glueless ingest: the messages of a refused file', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-messages-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('bytes that are not UTF-8: the line and the exact byte of the bad one', async () => {
    const lines = (await readFile('samples/sales_orders.csv', 'utf8')).split('\n').slice(0, 6);
    // Line 4 saved as Windows-1252: "Café" in its 'notes' field.
    const before = Buffer.from(`${lines.slice(0, 3).join('\n')}\n${lines[3]!.replace(/,[^,]*$/, ',Caf')}`);
    const bytes = Buffer.concat([before, Buffer.from([0xe9]), Buffer.from(`\n${lines.slice(4).join('\n')}\n`)]);
    await writeFile(path.join(work, 'orders.csv'), bytes);
    const result = await glueless(['--lake', path.join(work, 'lake'), '--datasets', path.resolve('datasets'), 'ingest', 'orders.csv'], { cwd: work });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`orders\\.csv: not valid UTF-8 at line 4, byte ${before.length}; save the file as UTF-8`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the file as the user typed it, not by its key in the raw zone', async () => {
    await mkdir(path.join(work, 'exports'));
    const lines = (await readFile('samples/sales_orders.csv', 'utf8')).split('\n').slice(0, 4);
    await writeFile(path.join(work, 'exports', 'orders.csv'), `${lines.map((line) => line.replace(/,[^,]*,[^,]*$/, '')).join('\n')}\n`);
    const result = await glueless(['--lake', path.join(work, 'lake'), '--datasets', path.resolve('datasets'), 'ingest', './exports/orders.csv'], { cwd: work });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^glueless: \.\/exports\/orders\.csv: header lacks declared column "order_date"/m);
    expect(result.stderr).not.toContain('sales/orders/orders.csv');
    // Several files: each failure named as typed too.
    const two = await glueless(
      ['--lake', path.join(work, 'lake'), '--datasets', path.resolve('datasets'), 'ingest', './exports/orders.csv', path.resolve('samples/sales_orders.csv')],
      { cwd: work },
    );
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/1 of 2 files failed: \.\/exports\/orders\.csv: header lacks/);
  });

  it('--dataset naming a broken contract fails with that file\'s own error (file and field), not "unknown dataset"', async () => {
    const datasets = path.join(work, 'datasets');
    await mkdir(datasets);
    await writeFile(path.join(datasets, 'sales_orders.yaml'), await readFile('datasets/sales_orders.yaml', 'utf8'));
    await writeFile(path.join(datasets, 'broken.yaml'), 'name: broken\nsource: { prefix: b/ }\ncolumns:\n  - { name: id, type: integer }\npartition_by: { column: id }\n');
    await writeFile(path.join(work, 'f.csv'), 'id\n1\n');
    const result = await glueless(['--lake', 'lake', '--datasets', 'datasets', 'ingest', 'f.csv', '--dataset', 'broken'], { cwd: work });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^glueless: datasets\/broken\.yaml: columns\[0\]\.type: unknown type "integer"[^\n]*\n$/m);
    expect(result.stderr).not.toContain('unknown dataset');
  });
});
