import { parquetReadObjects } from 'hyparquet';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { ingestObject } from '../../src/pipeline/run/ingest.js';
import type { RunManifest } from '../../src/pipeline/contract/run-manifest.js';
import { writeSalesOrdersCsv } from '../../scripts/sales-orders-csv.js';
import { landFile, salesContract, tempLake } from '../support/local.js';
import { expectedRowsSql, sq } from '../support/oracle-sql.js';

/**
 * The oracle: DuckDB reading the source CSV with the contract's types, filtering exactly what the contract rejects
 * (failed casts, missing required values, later duplicates of a key), must equal DuckDB reading the registered
 * table — row for row — and hyparquet, an independent reader, must see the same rows in the Parquet files.
 */

async function oracleCheck(csvFile: string) {
  const local = await tempLake();
  try {
    const contract = await salesContract();
    const key = `${contract.prefix}${path.basename(csvFile)}`;
    await landFile(local, key, csvFile);
    const result = await ingestObject(key, { ...local, contracts: [contract] });
    if (result.status !== 'processed') throw new Error(JSON.stringify(result));
    const manifest = result.manifest;
    expect(manifest.rowsRead).toBe(manifest.rowsWritten + manifest.rowsQuarantined);

    const source = local.lake.raw.locationOf(key);
    const counts = await runQuery(
      local.catalog,
      `SELECT (SELECT count(*) FROM read_csv(${sq(source)}, header = true, all_varchar = true)) AS read,
              (SELECT count(*) FROM (${expectedRowsSql(source)})) AS expected,
              (SELECT count(*) FROM sales_orders) AS actual`,
    );
    const [read, expected, actual] = counts.rows[0]!.map(Number);
    expect(read).toBe(manifest.rowsRead);
    expect(actual).toBe(manifest.rowsWritten);
    expect(expected).toBe(actual);
    expect(read! - actual!).toBe(manifest.rowsQuarantined);

    const aggregates = `SELECT count(*), count(notes), sum(order_id), sum(quantity), sum(price), sum(total_amount),
                               count(DISTINCT order_date), min(order_date), max(order_date), count(DISTINCT product)`;
    const fromParquet = await runQuery(local.catalog, `${aggregates} FROM sales_orders`);
    const fromCsv = await runQuery(local.catalog, `${aggregates} FROM (${expectedRowsSql(source)})`);
    expect(fromParquet.rows).toEqual(fromCsv.rows);
    expect(Number(fromParquet.rows[0]![6])).toBe(manifest.partitions.length);

    const mismatches = await runQuery(
      local.catalog,
      `SELECT count(*) FROM (${expectedRowsSql(source)}) e FULL OUTER JOIN sales_orders a ON a.order_id = e.order_id
       WHERE a.order_id IS NULL OR e.order_id IS NULL
          OR (a.customer_id, a.product, a.quantity, a.price, a.notes, a.total_amount, a.order_date)
             IS DISTINCT FROM (e.customer_id, e.product, e.quantity, e.price, e.notes, e.total_amount, e.order_date)`,
    );
    expect(Number(mismatches.rows[0]![0])).toBe(0);

    await expectHyparquetAgrees(local, manifest, await runQuery(local.catalog, 'SELECT * FROM sales_orders'));
    return manifest;
  } finally {
    await local.cleanup();
  }
}

/** Every Parquet file read by hyparquet, joined with its partition value, equals the rows DuckDB returns. */
async function expectHyparquetAgrees(local: Awaited<ReturnType<typeof tempLake>>, manifest: RunManifest, duck: { columns: string[]; rows: unknown[][] }) {
  const byId = new Map<string, Record<string, unknown>>();
  for (const row of duck.rows) byId.set(String(row[0]), Object.fromEntries(duck.columns.map((c, i) => [c, row[i]])));
  let seen = 0;
  for (const output of manifest.outputs) {
    const bytes = await readFile(local.lake.processed.locationOf(output.key));
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    expect(rows).toHaveLength(output.rows);
    const orderDate = output.partition.slice('order_date='.length, -1);
    for (const row of rows) {
      const expected = byId.get(String(row.order_id))!;
      expect({
        customer_id: row.customer_id,
        product: row.product,
        quantity: row.quantity,
        price: (row.price as number).toFixed(2),
        notes: row.notes ?? null,
        total_amount: (row.total_amount as number).toFixed(2),
        order_date: orderDate,
      }).toEqual({
        customer_id: expected.customer_id,
        product: expected.product,
        quantity: expected.quantity,
        price: expected.price,
        notes: expected.notes,
        total_amount: expected.total_amount,
        order_date: expected.order_date,
      });
      seen++;
    }
  }
  expect(seen).toBe(duck.rows.length);
}

describe('oracle: Parquet in the lake equals the CSV read with the declared types', () => {
  it('holds for the sample, minus exactly its three bad rows', async () => {
    const manifest = await oracleCheck('samples/sales_orders.csv');
    expect(manifest.quarantinedByRule).toEqual({ not_null: 1, cast: 1, unique: 1 });
  });

  it('holds for a generated file of 100,000 rows over 30 dates', async () => {
    const local = await tempLake();
    const file = path.join(local.root, 'generated_100k.csv');
    await writeSalesOrdersCsv(file, { rows: 100_000, days: 30, seed: 7, bad: true });
    try {
      const manifest = await oracleCheck(file);
      expect(manifest.rowsRead).toBe(100_000);
      expect(manifest.partitions).toHaveLength(30);
    } finally {
      await local.cleanup();
    }
  });
});
