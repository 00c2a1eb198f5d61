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
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();

const started = performance.now();
await connection.run(`
  COPY (
    SELECT *, CAST(quantity * price AS DECIMAL(18,2)) AS total_amount
    FROM read_csv(${sqlString(csvFile)}, header = true, quote = '"', escape = '"', columns = {
      'order_id': 'BIGINT', 'customer_id': 'VARCHAR', 'product': 'VARCHAR', 'quantity': 'INTEGER',
      'price': 'DECIMAL(10,2)', 'order_date': 'DATE', 'notes': 'VARCHAR'})
  ) TO ${sqlString(outDir)} (FORMAT parquet, PARTITION_BY (order_date))`);
const wallMs = performance.now() - started;
const maxRssKb = process.resourceUsage().maxRSS;
const count = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(`${outDir}/**/*.parquet`)})`);
console.log(JSON.stringify({ wallMs, maxRssKb, rows: Number(count.getRowsJS()[0]![0]), bytes: await parquetBytes(outDir) }));
