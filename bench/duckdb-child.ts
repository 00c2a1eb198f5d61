/**
 * The reference: DuckDB converting the same CSV with the same declared types and the same derived column, Hive
 * partitioned by order_date, at two threads (a Lambda at 1,769 MB has about two vCPUs). Own process, own peak RSS.
 * Prints one JSON line: { wallMs, maxRssKb, rows, bytes }.
 *
 *   node bench/.data/duckdb-child.mjs <csv> <output dir>   (bundled by bench/run.ts)
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { rm } from 'node:fs/promises';
import { parquetBytes, sqlString } from './files.js';

const [csvFile, outDir] = process.argv.slice(2) as [string, string];
await rm(outDir, { recursive: true, force: true });
// BENCH_DUCKDB_THREADS: the CLI bench runs both 1 and 2 and keeps DuckDB's best.
const instance = await DuckDBInstance.create(':memory:', { threads: process.env.BENCH_DUCKDB_THREADS ?? '2' });
const connection = await instance.connect();
const declared = `{'order_id': 'BIGINT', 'customer_id': 'VARCHAR', 'product': 'VARCHAR', 'quantity': 'INTEGER',
      'price': 'DECIMAL(10,2)', 'order_date': 'DATE', 'notes': 'VARCHAR'}`;
// JSON lines (the CLI bench): read_json with the same declared columns.
const reader = csvFile.endsWith('.jsonl')
  ? `read_json(${sqlString(csvFile)}, format = 'newline_delimited', columns = ${declared})`
  : `read_csv(${sqlString(csvFile)}, header = true, quote = '"', escape = '"', columns = ${declared})`;

const started = performance.now();
await connection.run(`
  COPY (
    SELECT *, CAST(quantity * price AS DECIMAL(18,2)) AS total_amount
    FROM ${reader}
  ) TO ${sqlString(outDir)} (FORMAT parquet, PARTITION_BY (order_date))`);
const wallMs = performance.now() - started;
const maxRssKb = process.resourceUsage().maxRSS;
// The CLI bench times the whole process: nothing after the conversion but exiting.
if (process.env.BENCH_CONVERSION_ONLY) process.exit(0);
const count = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(`${outDir}/**/*.parquet`)})`);
console.log(JSON.stringify({ wallMs, maxRssKb, rows: Number(count.getRowsJS()[0]![0]), bytes: await parquetBytes(outDir) }));
