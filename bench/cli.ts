/**
 * `npm run bench:cli [-- --rows 1000000 --rounds 3 --record] [--jsonl] [--partitions] [--glueless-args "--workers 2"]`:
 * the CLI as people run it, each run one whole process timed from spawn to exit, with its peak RSS (a preloaded hook,
 * bench/rss-hook.mjs, writes `maxRSS` at exit: native memory such as DuckDB's included).
 *
 * - CSV: `glueless ingest` (the compiled CLI, bin/glueless.js, into a fresh lake: conversion, registration, manifests)
 *   against a process that runs DuckDB's `COPY … TO … PARTITION_BY` at 1 and at 2 threads; DuckDB's better median
 *   is the reference.
 * - `--jsonl`: the same records as JSON lines (written by DuckDB from the CSV), glueless with a `format: jsonl` copy of
 *   the contract against DuckDB's `read_json`.
 * - `--partitions`: 200,000 rows over 90 and over 20,000 order dates: `glueless ingest`, then `glueless query
 *   "SELECT count(*) …"` over the lake it made.
 * - `--glueless-args`: added to every `glueless ingest` (e.g. `--workers 2` once the CLI has it: the hook for runs
 *   over several workers).
 * - `--lake-dir DIR`: where the lakes (and DuckDB's output) go (default bench/.data), e.g. `/dev/shm` to take the
 *   disk out: 20,000 partitions are 20,000 directories, files and renames, and a virtual disk's metadata writes (and
 *   the discards of the previous round's deletion) swing by seconds from run to run.
 * Runs alternate between engines; medians are reported. `--record` writes the tables into BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { DuckDBInstance } from '@duckdb/node-api';
import { writeSalesOrdersCsv } from '../scripts/sales-orders-csv.js';
import { sqlString } from './files.js';

const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
};
const rows = Number(arg('rows', '1000000'));
const rounds = Number(arg('rounds', '3'));
const gluelessArgs = arg('glueless-args', '').split(/\s+/).filter(Boolean);
const record = process.argv.includes('--record');
const dataDir = path.resolve('bench/.data');
const lakeDir = path.resolve(arg('lake-dir', dataDir));
const hook = path.resolve('bench/rss-hook.mjs');

interface Run {
  wallMs: number;
  rssMb: number;
  cpuS: number;
}

await mkdir(dataDir, { recursive: true });
await run(process.execPath, ['scripts/build-cli.mjs']);
const duckChild = path.join(dataDir, 'duckdb-child.mjs');
await build({
  entryPoints: ['bench/duckdb-child.ts'], outfile: duckChild, bundle: true, platform: 'node', format: 'esm', target: 'node20',
  packages: 'external', logLevel: 'warning',
});
const datasets = await benchDatasets();
// No gold models: an ingest here is the ingest alone (with models/ present it also refreshes the models it touched).
const noModels = path.join(dataDir, 'no-models');
await mkdir(noModels, { recursive: true });
const cli = ['bin/glueless.js', '--models', noModels, '--datasets', datasets];
const sections: string[] = [];

if (!process.argv.includes('--partitions') || process.argv.includes('--csv')) {
  const csv = await salesCsv(rows, 90);
  sections.push(await versusDuckDb('CSV', csv, 'sales_orders'));
  if (process.argv.includes('--jsonl')) sections.push(await versusDuckDb('JSON lines', await jsonLines(csv), 'sales_orders_jsonl'));
}
if (process.argv.includes('--partitions')) sections.push(await manyPartitions());

const machine =
  `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${rounds} rounds${gluelessArgs.length ? `, glueless ingest ${gluelessArgs.join(' ')}` : ''}` +
  `${lakeDir !== dataDir ? `, lakes in ${lakeDir}` : ''}`;
const text = sections.join('\n\n');
console.log(`\n${machine}\n\n${text}\n`);
if (record) {
  const marker = process.argv.includes('--partitions') ? 'cli:partitions' : `cli:${rows}`;
  const section = `<!-- ${marker} -->\n${machine}\n\n${text}\n<!-- /${marker} -->`;
  const file = 'BENCHMARKS.md';
  const current = await readFile(file, 'utf8');
  const pattern = new RegExp(`<!-- ${marker} -->[\\s\\S]*?<!-- /${marker} -->`);
  await writeFile(file, pattern.test(current) ? current.replace(pattern, section) : current.replace('<!-- results -->', `<!-- results -->\n${section}\n`));
  console.log(`recorded in ${file}`);
}

async function versusDuckDb(label: string, input: string, dataset: string): Promise<string> {
  const samples: Record<string, Run[]> = { glueless: [], 'duckdb threads=1': [], 'duckdb threads=2': [] };
  const lake = path.join(lakeDir, 'cli-lake');
  for (let round = 0; round < rounds; round++) {
    const order = Object.keys(samples);
    if (round % 2 === 1) order.reverse();
    for (const engine of order) {
      const sample =
        engine === 'glueless'
          ? (await rm(lake, { recursive: true, force: true }),
            await timed([...cli, '--lake', lake, 'ingest', '--dataset', dataset, ...gluelessArgs, input]))
          : await timed([duckChild, input, path.join(lakeDir, 'cli-out-duckdb')], {
              BENCH_DUCKDB_THREADS: engine.endsWith('1') ? '1' : '2',
              BENCH_CONVERSION_ONLY: '1',
            });
      samples[engine]!.push(sample);
      console.log(`  ${label} round ${round + 1} ${engine.padEnd(17)} ${(sample.wallMs / 1000).toFixed(2)} s (CPU ${sample.cpuS.toFixed(2)} s), peak RSS ${sample.rssMb.toFixed(0)} MB`);
    }
  }
  const medians = Object.entries(samples).map(([engine, s]) => ({
    engine, wall: median(s.map((x) => x.wallMs)) / 1000, cpu: median(s.map((x) => x.cpuS)), rss: median(s.map((x) => x.rssMb)),
  }));
  const glue = medians[0]!;
  const best = medians.slice(1).reduce((a, b) => (b.wall < a.wall ? b : a));
  return [
    `${label}, ${rows.toLocaleString('en')} rows, whole processes (start to exit):`,
    '',
    '| process | median wall | median CPU (user+sys) | median peak RSS |',
    '|---|---:|---:|---:|',
    ...medians.map((m) => `| ${m.engine === 'glueless' ? `glueless ingest${gluelessArgs.length ? ` ${gluelessArgs.join(' ')}` : ''}` : m.engine} | ${m.wall.toFixed(2)} s | ${m.cpu.toFixed(2)} s | ${m.rss.toFixed(0)} MB |`),
    `| glueless / DuckDB's best by wall (${best.engine}) | ${(glue.wall / best.wall).toFixed(2)}× | ${(glue.cpu / best.cpu).toFixed(2)}× | ${(glue.rss / best.rss).toFixed(2)}× |`,
  ].join('\n');
}

async function manyPartitions(): Promise<string> {
  const cases = [90, 20_000];
  const inputs = await Promise.all(cases.map((days) => salesCsv(200_000, days)));
  const samples = new Map(cases.map((days) => [days, { ingest: [] as Run[], query: [] as Run[], duckdb: [] as Run[] }]));
  for (let round = 0; round < rounds; round++) {
    for (const [index, days] of (round % 2 ? [...cases].reverse() : cases).entries()) {
      void index;
      const lake = path.join(lakeDir, `cli-lake-${days}`);
      await rm(lake, { recursive: true, force: true });
      const input = inputs[cases.indexOf(days)]!;
      const ingest = await timed([...cli, '--lake', lake, 'ingest', '--dataset', 'sales_orders', ...gluelessArgs, input]);
      const query = await timed([...cli, '--lake', lake, 'query', 'SELECT count(*) FROM sales_orders']);
      // For scale: DuckDB's own COPY … PARTITION_BY of the same file (one process, to exit).
      const duck = await timed([duckChild, input, path.join(lakeDir, `cli-out-duckdb-${days}`)], { BENCH_DUCKDB_THREADS: '2', BENCH_CONVERSION_ONLY: '1' });
      samples.get(days)!.ingest.push(ingest);
      samples.get(days)!.query.push(query);
      samples.get(days)!.duckdb.push(duck);
      console.log(
        `  partitions round ${round + 1} ${String(days).padStart(6)} dates: ingest ${(ingest.wallMs / 1000).toFixed(2)} s (CPU ${ingest.cpuS.toFixed(2)} s) ${ingest.rssMb.toFixed(0)} MB; ` +
          `count(*) ${(query.wallMs / 1000).toFixed(2)} s (CPU ${query.cpuS.toFixed(2)} s) ${query.rssMb.toFixed(0)} MB; ` +
          `DuckDB COPY ${(duck.wallMs / 1000).toFixed(2)} s ${duck.rssMb.toFixed(0)} MB`,
      );
    }
  }
  const line = (days: number) => {
    const s = samples.get(days)!;
    const m = (runs: Run[]) => [median(runs.map((r) => r.wallMs)) / 1000, median(runs.map((r) => r.rssMb)), median(runs.map((r) => r.cpuS))] as const;
    const [iw, ir, ic] = m(s.ingest);
    const [qw, qr, qc] = m(s.query);
    const [dw, dr] = m(s.duckdb);
    return { days, iw, ir, ic, qw, qr, qc, dw, dr };
  };
  const [few, many] = cases.map(line) as [ReturnType<typeof line>, ReturnType<typeof line>];
  return [
    '200,000 rows, whole `glueless` processes (start to exit), medians:',
    '',
    '| order dates | ingest wall | ingest CPU | ingest peak RSS | `SELECT count(*)` wall | query CPU | query peak RSS | DuckDB COPY PARTITION_BY wall | its peak RSS |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...[few, many].map(
      (r) =>
        `| ${r.days.toLocaleString('en')} | ${r.iw.toFixed(2)} s | ${r.ic.toFixed(2)} s | ${r.ir.toFixed(0)} MB | ${r.qw.toFixed(2)} s | ${r.qc.toFixed(2)} s | ${r.qr.toFixed(0)} MB | ` +
        `${r.dw.toFixed(2)} s | ${r.dr.toFixed(0)} MB |`,
    ),
    `| 20,000 / 90 | ${(many.iw / few.iw).toFixed(2)}× | ${(many.ic / few.ic).toFixed(2)}× | ${(many.ir / few.ir).toFixed(2)}× | ${(many.qw / few.qw).toFixed(2)}× | ${(many.qc / few.qc).toFixed(2)}× | ${(many.qr / few.qr).toFixed(2)}× | ` +
      `${(many.dw / few.dw).toFixed(2)}× | ${(many.dr / few.dr).toFixed(2)}× |`,
    '',
    // The two cases of a round run minutes apart at most: their ratio is less swayed by a machine whose speed drifts
    // over a session than the ratio of the medians.
    `Ingest wall, 20,000 / 90 dates within each round: ${roundRatios(samples.get(many.days)!.ingest, samples.get(few.days)!.ingest)}.`,
  ].join('\n');
}

/** `a[i] / b[i]` by wall time for each round, and their median. */
function roundRatios(a: Run[], b: Run[]): string {
  const ratios = a.map((run, i) => run.wallMs / b[i]!.wallMs);
  return `${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')} (median ${median(ratios).toFixed(2)}×)`;
}

/** One process, spawn to exit, with its peak RSS. */
async function timed(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const rssFile = path.join(dataDir, `rss-${process.pid}.txt`);
  await rm(rssFile, { force: true });
  const started = performance.now();
  await run(process.execPath, ['--import', hook, ...args], { ...env, BENCH_RSS_FILE: rssFile });
  const wallMs = performance.now() - started;
  const usage = JSON.parse(await readFile(rssFile, 'utf8')) as { maxRssKb: number; cpuUs: number };
  return { wallMs, rssMb: usage.maxRssKb / 1024, cpuS: usage.cpuUs / 1e6 };
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function salesCsv(count: number, days: number): Promise<string> {
  const file = path.join(dataDir, days === 90 ? `sales_orders_${count}.csv` : `sales_orders_${count}_${days}d.csv`);
  if (!existsSync(file)) {
    console.log(`generating ${path.relative('.', file)}…`);
    await writeSalesOrdersCsv(`${file}.tmp`, { rows: count, days, seed: 42 });
    await rename(`${file}.tmp`, file);
  }
  return file;
}

/** The same records as JSON lines, typed as the contract declares them (written once, by DuckDB). */
async function jsonLines(csv: string): Promise<string> {
  const file = csv.replace(/\.csv$/, '.jsonl');
  if (existsSync(file)) return file;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)}, header = true, quote = '"', escape = '"', columns = {
      'order_id': 'BIGINT', 'customer_id': 'VARCHAR', 'product': 'VARCHAR', 'quantity': 'INTEGER',
      'price': 'DECIMAL(10,2)', 'order_date': 'DATE', 'notes': 'VARCHAR'})) TO ${sqlString(`${file}.tmp`)} (FORMAT json)`);
  connection.closeSync();
  await rename(`${file}.tmp`, file);
  return file;
}

/** datasets/sales_orders.yaml as it is, and a JSON-lines copy of it (sales_orders_jsonl). */
async function benchDatasets(): Promise<string> {
  const dir = path.join(dataDir, 'datasets');
  await mkdir(dir, { recursive: true });
  const yaml = await readFile('datasets/sales_orders.yaml', 'utf8');
  await writeFile(path.join(dir, 'sales_orders.yaml'), yaml);
  await writeFile(
    path.join(dir, 'sales_orders_jsonl.yaml'),
    yaml
      .replace(/^name: sales_orders$/m, 'name: sales_orders_jsonl')
      .replace(/^  prefix: sales\/orders\/$/m, '  prefix: sales/orders_jsonl/')
      .replace(/^  format: csv$/m, '  format: jsonl')
      .replace(/^  delimiter: .*\n/m, ''),
  );
  return dir;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
