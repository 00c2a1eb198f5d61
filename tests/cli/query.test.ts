import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSalesOrdersCsv } from '../../scripts/sales-orders-csv.js';
import { GLUELESS_BIN, glueless } from '../support/cli.js';

/** `glueless query` over a big table: rows stream as DuckDB produces them; the table view is capped and says so. */
describe('glueless query on 500,000 rows', () => {
  const ROWS = 500_000;
  let work: string;
  let lake: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-query-'));
    lake = path.join(work, 'lake');
    const csv = path.join(work, 'sales_orders_big.csv');
    await writeSalesOrdersCsv(csv, { rows: ROWS, days: 30 });
    const ingest = await glueless(['--lake', lake, '--quiet', 'ingest', csv]);
    expect(ingest).toMatchObject({ code: 0 });
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  /** Runs the CLI with a small V8 heap (a result held whole would not fit) and counts what it writes. */
  function streamed(args: string[], heapMb = 48): Promise<{ code: number; lines: number; bytes: number; first: string; last: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, GLUELESS_BIN, '--lake', lake, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let lines = 0;
      let bytes = 0;
      let first = '';
      let tail = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        if (first.length < 2000) first += text.slice(0, 2000);
        bytes += chunk.byteLength;
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
        tail = (tail + text).slice(-2000);
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, lines, bytes, first, last: tail.trimEnd().split('\n').pop()!, stderr }));
    });
  }

  it('--format csv writes every row in bounded memory', async () => {
    const result = await streamed(['query', 'SELECT * FROM sales_orders ORDER BY order_id', '--format', 'csv']);
    expect(result).toMatchObject({ code: 0, stderr: '', lines: ROWS + 1 });
    expect(result.first).toMatch(/^order_id,customer_id,product,quantity,price,notes,total_amount,(.*,)?order_date\n100001,/);
    expect(result.last).toMatch(new RegExp(`^${100000 + ROWS},`));
  });

  it('--format jsonl and json write every row in bounded memory', async () => {
    const jsonl = await streamed(['query', 'SELECT order_id, product FROM sales_orders', '--format', 'jsonl']);
    expect(jsonl).toMatchObject({ code: 0, lines: ROWS });
    expect(JSON.parse(jsonl.last)).toEqual({ order_id: expect.any(String), product: expect.any(String) });
    const json = await streamed(['query', 'SELECT order_id FROM sales_orders', '--format', 'json']);
    expect(json).toMatchObject({ code: 0, lines: ROWS + 2, last: ']' });
  });

  it('the table format shows the first 50 rows (or --max-rows) and says how many it left out', async () => {
    const table = await streamed(['query', 'SELECT * FROM sales_orders ORDER BY order_id']);
    expect(table.code).toBe(0);
    expect(table.lines).toBe(4 + 50 + 1);
    expect(table.last).toBe('(first 50 of 500,000 rows; --max-rows N shows more, --format csv or jsonl gives them all)');
    const few = await glueless(['--lake', lake, 'query', 'SELECT order_id, notes FROM sales_orders ORDER BY order_id', '--max-rows', '2']);
    expect(few.stdout).toMatch(/^┌─+┬─+┐\n│ order_id │ notes +│\n├─+┼─+┤\n│ +100001 │ .*\n│ +100002 │ .*\n└─+┴─+┘\n\(first 2 of 500,000 rows;/);
  });

  it('reads no dataset contract: one that is broken elsewhere does not stop a query', async () => {
    const datasets = path.join(work, 'broken-datasets');
    await mkdir(datasets, { recursive: true });
    await writeFile(path.join(datasets, 'orders.yaml'), 'name: orders\ncolumns: [ { name: id, type: nosuchtype } ]\n');
    const result = await glueless(['--lake', lake, '--datasets', datasets, 'query', 'SELECT count(*) AS n FROM sales_orders', '--format', 'csv']);
    expect(result).toMatchObject({ code: 0, stdout: `n\n${ROWS}\n` });
    const ingest = await glueless(['--lake', lake, '--datasets', datasets, 'ingest', path.join(work, 'sales_orders_big.csv')]);
    expect(ingest.code).not.toBe(0);
  });

  it('a failing query exits non-zero through a pipe, in one line naming the tables there are', async () => {
    const result = await streamed(['query', 'SELECT * FROM sales_order']);
    expect(result).toMatchObject({ code: 1, bytes: 0, stderr: expect.stringMatching(/^glueless: no table sales_order; tables: (.*, )?sales_orders(, .*)?\n$/) });
  });

  it('a reader that stops early (| head) ends the query quietly', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [GLUELESS_BIN, '--lake', lake, 'query', 'SELECT * FROM sales_orders', '--format', 'csv'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result).toEqual({ code: 0, stderr: '' });
  });
});
