/**
 * `npm run bench [-- --rows 5000000 --rounds 3 --record]`: glueless against DuckDB on the same generated CSV.
 *
 * Each conversion runs in its own child process (so peak RSS is that engine's alone), the two alternate for
 * `--rounds` rounds, both outputs are checked to hold the same rows, then a table is printed. `--record` also writes
 * the table and the machine into BENCHMARKS.md, replacing the section for this row count.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeSalesOrdersCsv } from '../scripts/sales-orders-csv.js';
import { build } from 'esbuild';
import { compareOutputs } from './compare.js';

interface Sample {
  wallMs: number;
  maxRssKb: number;
  rows: number;
  bytes: number;
}

const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
};
const rows = Number(arg('rows', '1000000'));
const rounds = Number(arg('rounds', '3'));
const record = process.argv.includes('--record');
const dataDir = path.resolve('bench/.data');

const csvFile = path.join(dataDir, `sales_orders_${rows}.csv`);
await mkdir(dataDir, { recursive: true });
if (!existsSync(csvFile)) {
  console.log(`generating ${path.relative('.', csvFile)} (${rows.toLocaleString('en')} rows, 90 dates)…`);
  await writeSalesOrdersCsv(`${csvFile}.tmp`, { rows, days: 90, seed: 42 });
  await rename(`${csvFile}.tmp`, csvFile);
}
const inputBytes = (await stat(csvFile)).size;
// Children run bundled, as the Lambda is: no TypeScript loader in the measured processes.
const children = { glueless: path.join(dataDir, 'glueless-child.mjs'), duckdb: path.join(dataDir, 'duckdb-child.mjs') };
for (const engine of ['glueless', 'duckdb'] as const) {
  await build({
    entryPoints: [`bench/${engine}-child.ts`], outfile: children[engine], bundle: true, platform: 'node', format: 'esm',
    target: 'node20', packages: 'external', logLevel: 'warning',
  });
}
const outputs = { glueless: path.join(dataDir, 'out-glueless'), duckdb: path.join(dataDir, 'out-duckdb') };
const engines = ['glueless', 'duckdb'] as const;
const samples: Record<(typeof engines)[number], Sample[]> = { glueless: [], duckdb: [] };

console.log(`input ${path.relative('.', csvFile)}: ${mb(inputBytes)} MB, ${rows.toLocaleString('en')} rows; ${rounds} rounds`);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? engines : ([...engines].reverse() as typeof engines[number][]);
  for (const engine of order) {
    const sample = await runChild([children[engine]], [csvFile, outputs[engine]]);
    if (sample.rows !== rows) throw new Error(`${engine} wrote ${sample.rows} rows, expected ${rows}`);
    samples[engine].push(sample);
    console.log(`  round ${round + 1} ${engine.padEnd(8)} ${(sample.wallMs / 1000).toFixed(2)} s, peak RSS ${(sample.maxRssKb / 1024).toFixed(0)} MB`);
  }
}

const mismatch = await compareOutputs(`${outputs.glueless}/processed/tables/sales_orders`, outputs.duckdb);
if (mismatch) throw new Error(`outputs differ: ${mismatch}`);
console.log('outputs hold the same rows (count, sums, per-date counts, hash of every value)');

const summary = engines.map((engine) => {
  const s = samples[engine];
  const wall = median(s.map((x) => x.wallMs)) / 1000;
  return { engine, wall, rss: Math.max(...s.map((x) => x.maxRssKb)) / 1024, bytes: s.at(-1)!.bytes };
});
const [glue, duck] = summary as [(typeof summary)[0], (typeof summary)[0]];
const table = [
  '| engine | median wall | rows/s | MB/s | peak RSS | output bytes |',
  '|---|---:|---:|---:|---:|---:|',
  ...summary.map(
    (r) =>
      `| ${r.engine} | ${r.wall.toFixed(2)} s | ${Math.round(rows / r.wall).toLocaleString('en')} | ${(inputBytes / 1e6 / r.wall).toFixed(1)} | ${r.rss.toFixed(0)} MB | ${r.bytes.toLocaleString('en')} |`,
  ),
  `| glueless / DuckDB | ${(glue.wall / duck.wall).toFixed(2)}× | | | ${(glue.rss / duck.rss).toFixed(2)}× | ${(glue.bytes / duck.bytes).toFixed(2)}× |`,
].join('\n');
console.log(`\n${table}\n`);

if (record) {
  const machine = await describeMachine();
  const section = [
    `<!-- bench:${rows} -->`,
    `### ${rows.toLocaleString('en')} rows (${mb(inputBytes)} MB CSV), ${rounds} rounds, ${new Date().toISOString().slice(0, 10)}`,
    '',
    machine,
    '',
    table,
    `<!-- /bench:${rows} -->`,
  ].join('\n');
  const file = 'BENCHMARKS.md';
  const text = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmarks\n\n<!-- results -->\n';
  const pattern = new RegExp(`<!-- bench:${rows} -->[\\s\\S]*?<!-- /bench:${rows} -->`);
  await writeFile(file, pattern.test(text) ? text.replace(pattern, section) : text.replace('<!-- results -->', `<!-- results -->\n${section}\n`));
  console.log(`recorded in ${file}`);
}

function runChild(script: string[], args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script.join(" ")} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Sample);
    });
  });
}

async function describeMachine(): Promise<string> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const nproc = (() => {
    try {
      return execFileSync('nproc').toString().trim();
    } catch {
      return String(os.availableParallelism());
    }
  })();
  const version = (pkg: string) => JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version as string;
  return [
    `Machine: ${nproc} CPUs (nproc), ${model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}; ` +
      `Node ${process.version}; @duckdb/node-api ${version('@duckdb/node-api')}; hyparquet-writer ${version('hyparquet-writer')}.`,
  ].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
