import { mkdtemp, readdir, rm, writeFile, mkdir, copyFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expectedRowsSql } from '../support/oracle-sql.js';
import { glueless as run, type CliResult } from '../support/cli.js';

function glueless(args: string[], cwd = process.cwd()): Promise<CliResult> {
  return run(args, { cwd });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe('glueless CLI', () => {
  let work: string;
  let lake: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-cli-'));
    lake = path.join(work, 'lake');
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('ingest then query prints the daily revenue DuckDB computes from the CSV', async () => {
    const ingest = await glueless(['--lake', lake, 'ingest', 'samples/sales_orders.csv']);
    expect(ingest.stderr).toBe('');
    expect(ingest.stdout).toMatch(/3,000 rows read, 2,997 written, 3 quarantined/);

    const sql = 'SELECT order_date, sum(total_amount) AS revenue FROM sales_orders GROUP BY 1 ORDER BY 1';
    const query = await glueless(['--lake', lake, 'query', sql, '--format', 'json']);
    expect(query.code).toBe(0);
    const actual = JSON.parse(query.stdout) as Array<{ order_date: string; revenue: string }>;

    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const oracle = await duck.runAndReadAll(
      `SELECT CAST(order_date AS VARCHAR), CAST(sum(total_amount) AS VARCHAR) FROM (${expectedRowsSql(path.resolve('samples/sales_orders.csv'))}) GROUP BY 1 ORDER BY 1`,
    );
    duck.closeSync();
    expect(actual.map((r) => [r.order_date, String(r.revenue)])).toEqual(oracle.getRowsJS());
    expect(actual).toHaveLength(7);

    const table = await glueless(['--lake', lake, 'query', sql]);
    expect(table.stdout).toMatch(/│ order_date │ revenue\s+│/);
    expect(table.stdout).toMatch(/\(7 rows\)/);
  });

  it('prints a quarantine path that pastes back into replay, and replay takes the lake-relative form too', async () => {
    const dir = path.join(work, 'here');
    await mkdir(dir);
    const csv = path.join(dir, 'orders.csv');
    await copyFile('samples/sales_orders.csv', csv);
    const ingest = await run(['--datasets', path.resolve('datasets'), 'ingest', 'orders.csv'], { cwd: dir });
    const printed = /quarantined rows: (\S+)/.exec(ingest.stdout)![1]!;
    expect(printed).toMatch(/^\.lake\/quarantine\/sales_orders\/orders-[0-9a-f]{8}\.csv$/);
    // Replayed unfixed, the rows fail their checks again: found, read, and refused by the contract's quality gate.
    const refused = /^glueless: sales\/orders\/replay\/orders-[0-9a-f]{8}\.csv: \d of 3 rows failed checks \([\d.]+%\), above file\.max_error_ratio 0\.05/;
    const pasted = await run(['--datasets', path.resolve('datasets'), 'replay', printed], { cwd: dir });
    expect(pasted).toMatchObject({ code: 1, stderr: expect.stringMatching(refused) });
    const lakeRelative = await run(['--datasets', path.resolve('datasets'), 'replay', printed.replace(/^\.lake\//, '')], { cwd: dir });
    expect(lakeRelative).toMatchObject({ code: 1, stderr: expect.stringMatching(refused) });
  });

  it("a file with most rows bad fails: the sample contract's 5% gate rejects it whole; without a gate the good rows land and the exit is 1", async () => {
    const lines = (await readFile('samples/sales_orders.csv', 'utf8')).trimEnd().split('\n');
    const bad = [lines[0], ...lines.slice(1, 101).map((line, i) => (i % 10 === 0 ? line : line.replace(/^(\d+),C\d+,/, '$1,,')))].join('\n');
    const csv = path.join(work, 'mostly_bad.csv');
    await writeFile(csv, `${bad}\n`);
    const gated = await glueless(['--lake', lake, 'ingest', csv]);
    expect(gated.code).toBe(1);
    // Named as the user typed it, not by its raw key (sales/orders/mostly_bad.csv).
    expect(gated.stderr).toContain(`glueless: ${csv}: 90 of 100 rows failed checks (90.0%), above file.max_error_ratio 0.05 (file kept in `);

    const datasets = path.join(work, 'datasets');
    await mkdir(datasets);
    const contract = (await readFile('datasets/sales_orders.yaml', 'utf8')).replace(/max_error_ratio: 0\.05/, 'max_error_ratio: 1');
    await writeFile(path.join(datasets, 'sales_orders.yaml'), contract);
    const ungated = await glueless(['--lake', lake, '--datasets', datasets, 'ingest', csv]);
    expect(ungated.code).toBe(1);
    expect(ungated.stdout).toMatch(/100 rows read, 10 written, 90 quarantined \(not_null 90\)/);
    expect(ungated.stderr).toBe(`glueless: ${csv}: most rows failed their checks (90 of 100 quarantined); 10 written\n`);
  });

  it('ingesting the same file again leaves the same files and the same answers', async () => {
    await glueless(['--lake', lake, 'ingest', 'samples/sales_orders.csv']);
    // Gold model partitions are rewritten under a fresh refresh id each time: compare the silver data.
    const silver = async () => (await filesUnder(path.join(lake, 'processed'))).filter((f) => !f.startsWith('models/'));
    const files = await silver();
    const before = await glueless(['--lake', lake, 'query', 'SELECT count(*) AS n, sum(total_amount) AS s FROM sales_orders', '--format', 'csv']);
    await glueless(['--lake', lake, 'ingest', 'samples/sales_orders.csv']);
    expect(await silver()).toEqual(files);
    const after = await glueless(['--lake', lake, 'query', 'SELECT count(*) AS n, sum(total_amount) AS s FROM sales_orders', '--format', 'csv']);
    expect(after.stdout).toBe(before.stdout);
    expect(after.stdout).toMatch(/^n,s\n2997,/);
    const tables = await glueless(['--lake', lake, 'tables']);
    expect(tables.stdout).toMatch(/sales_orders\s+│\s+7 │\s+2997 │/);
  });

  it('a malformed contract gives one line naming file and field, exit 1, and writes nothing', async () => {
    const datasets = path.join(work, 'datasets');
    await mkdir(datasets);
    await writeFile(path.join(datasets, 'broken.yaml'), 'name: broken\nsource: { prefix: b/ }\ncolumns:\n  - { name: id, type: integer }\npartition_by: { column: id }\n');
    const result = await glueless(['--lake', lake, '--datasets', datasets, 'ingest', 'samples/sales_orders.csv']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/broken\.yaml: columns\[0\]\.type: unknown type "integer"/);
    expect(await filesUnder(lake)).toEqual([]);
  });

  it('with several contracts, ingest picks the one the header fits; a broken contract file is a warning, not a stop', async () => {
    const datasets = path.join(work, 'datasets');
    await mkdir(datasets);
    await copyFile('datasets/sales_orders.yaml', path.join(datasets, 'sales_orders.yaml'));
    await writeFile(
      path.join(datasets, 'flights.yaml'),
      'name: flights\nsource: { prefix: ops/flights/ }\ncolumns:\n  - { name: flight_date, type: date, required: true }\n  - { name: carrier, type: string }\npartition_by: { column: flight_date }\n',
    );
    const picked = await glueless(['--lake', lake, '--datasets', datasets, 'ingest', 'samples/sales_orders.csv']);
    expect(picked).toMatchObject({ code: 0, stderr: '' });
    expect(picked.stdout).toMatch(/→ sales_orders: 3,000 rows read/);

    await writeFile(path.join(datasets, 'empty.yaml'), '');
    await writeFile(path.join(datasets, 'typo.yaml'), 'name: typo\nsource: { prefix: t/ }\ncolumns:\n  - { name: id, type: integer }\npartition_by: { column: id }\n');
    const warned = await glueless(['--lake', lake, '--datasets', datasets, 'ingest', 'samples/sales_orders.csv']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/^glueless: warning: .*empty\.yaml: .*\(that dataset is left out until the file is fixed\)\n/m);
    expect(warned.stderr).toMatch(/^glueless: warning: .*typo\.yaml: columns\[0\]\.type: unknown type "integer"/m);

    const neither = path.join(work, 'other.csv');
    await writeFile(neither, 'a,b\n1,2\n');
    const none = await glueless(['--lake', lake, '--datasets', datasets, 'ingest', neither]);
    expect(none.stderr).toMatch(/other\.csv: its header fits none of the datasets \(flights, sales_orders\); choose one with --dataset/);
  });

  it('a missing file gives one line and exit 1', async () => {
    const result = await glueless(['--lake', lake, 'ingest', 'samples/nope.csv']);
    expect(result).toMatchObject({ code: 1, stderr: 'glueless: samples/nope.csv: file not found\n' });
    expect((await filesUnder(lake)).filter((f) => !f.endsWith('catalog.duckdb'))).toEqual([]);
  });

  it('a CSV whose header lacks a declared column is refused: no table data, the file kept in quarantine', async () => {
    const csv = path.join(work, 'no_price.csv');
    await writeFile(csv, 'order_id,customer_id,product,quantity,order_date,notes\n1,C1,Lamp,1,2024-03-01,\n');
    const result = await glueless(['--lake', lake, 'ingest', csv]);
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(`glueless: ${csv}: header lacks declared column "price"`)).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/file kept in .*\/lake\/quarantine\/sales_orders\/rejected\/no_price-[0-9a-f]{8}\.csv\)\n$/);
    expect(await filesUnder(path.join(lake, 'raw'))).toEqual([]);
    expect((await filesUnder(path.join(lake, 'processed'))).filter((f) => f.startsWith('tables'))).toEqual([]);
    expect(await filesUnder(path.join(lake, 'quarantine'))).toEqual([
      expect.stringMatching(/^sales_orders\/rejected\/no_price-[0-9a-f]{8}\.csv$/),
      expect.stringMatching(/^sales_orders\/rejected\/no_price-[0-9a-f]{8}\.reason\.json$/),
    ]);
    const verbose = await glueless(['--lake', lake, '--verbose', 'ingest', csv]);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('ddl prints the Athena CREATE EXTERNAL TABLE for the contract', async () => {
    const result = await glueless(['ddl', 'sales_orders', '--location', 's3://lake-bucket/tables/sales_orders/']);
    expect(result.stdout).toMatch(/^CREATE EXTERNAL TABLE IF NOT EXISTS `glueless`\.`sales_orders`/);
    expect(result.stdout).toMatch(/PARTITIONED BY \(\n\s+`order_date` date\n\)/);
    expect(result.stdout).toMatch(/STORED AS PARQUET\nLOCATION 's3:\/\/lake-bucket\/tables\/sales_orders\/'/);
  });

  it('ddl without --location prints the statement with a marked placeholder, or the PROCESSED_BUCKET the environment names', async () => {
    const placeholder = await glueless(['ddl', 'sales_orders']);
    expect(placeholder).toMatchObject({ code: 0, stderr: '' });
    expect(placeholder.stdout).toMatch(/^-- <processed-bucket> is a placeholder: .*\nCREATE EXTERNAL TABLE IF NOT EXISTS `glueless`\.`sales_orders`/);
    expect(placeholder.stdout).toMatch(/\nLOCATION 's3:\/\/<processed-bucket>\/tables\/sales_orders\/'/);
    const named = await run(['ddl', 'sales_orders'], { env: { ...process.env, GLUELESS_DATASETS: '', PROCESSED_BUCKET: 'my-processed' } });
    expect(named.stdout).toMatch(/^CREATE EXTERNAL TABLE[\s\S]*\nLOCATION 's3:\/\/my-processed\/tables\/sales_orders\/'/);
  });

  async function project(): Promise<string> {
    const dir = path.join(work, 'project');
    await mkdir(dir);
    for (const sub of ['datasets', 'samples', 'sql']) {
      await mkdir(path.join(dir, sub));
      for (const file of await readdir(sub)) await copyFile(path.join(sub, file), path.join(dir, sub, file));
    }
    return dir;
  }

  it('the demo ingests the samples into .lake-demo, answers the sql/ queries and summarizes quarantine', async () => {
    const dir = await project();
    const result = await glueless(['demo'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`a fresh lake of its own at ${path.join(dir, '.lake-demo')}`);
    expect(result.stdout).toMatch(/daily_revenue\.sql/);
    expect(result.stdout).toMatch(/top_products\.sql/);
    expect(result.stdout).toMatch(/Quarantine summary[\s\S]*not_null[\s\S]*cast[\s\S]*unique/);
    // The row with no customer: its empty value is shown empty, not as NULL.
    const summary = result.stdout.slice(result.stdout.indexOf('Quarantine summary'));
    expect(summary).toMatch(/│ not_null │ customer_id │ +│ +302 │ customer_id is required but empty +│/);
    expect(summary).not.toContain('NULL');
    expect(result.stdout).toMatch(/Try: npx glueless --lake \.lake-demo query/);
  });

  it("the demo leaves the user's .lake untouched, runs twice in a row, and never empties a directory it did not make", async () => {
    const dir = await project();
    const ingest = await glueless(['ingest', 'samples/sales_orders.csv'], dir);
    expect(ingest.code).toBe(0);
    const before = await filesUnder(path.join(dir, '.lake'));
    expect(before.length).toBeGreaterThan(5);
    for (let i = 0; i < 2; i++) expect((await glueless(['demo'], dir)).code).toBe(0);
    expect(await filesUnder(path.join(dir, '.lake'))).toEqual(before);
    const query = await glueless(['--lake', '.lake-demo', 'query', 'SELECT count(*) AS n FROM sales_orders', '--format', 'csv'], dir);
    expect(query.stdout).toBe('n\n2997\n');

    const mine = path.join(dir, 'mine');
    await mkdir(mine);
    await writeFile(path.join(mine, 'notes.txt'), 'keep me');
    const refused = await glueless(['--lake', mine, 'demo'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/mine exists and was not made by the demo: it is left as it is/);
    expect(await readFile(path.join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});
