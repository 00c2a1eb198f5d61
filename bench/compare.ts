import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from './files.js';

/**
 * Whether two Hive-partitioned Parquet trees hold the same rows: per order_date, the row count, sums of the numeric
 * columns, non-null notes and a sum of hashes over every value. Returns a description of the first difference, or
 * undefined when they match.
 */
export async function compareOutputs(left: string, right: string): Promise<string | undefined> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  const summary = (dir: string) => `
    SELECT order_date, count(*) AS n, sum(order_id) AS ids, sum(quantity) AS quantity, sum(price) AS price,
           sum(total_amount) AS total, count(notes) AS notes,
           sum(hash(order_id::BIGINT, customer_id, product, quantity::INTEGER, price::DECIMAL(10,2), notes,
                    total_amount::DECIMAL(18,2))) AS hashes
    FROM read_parquet(${sqlString(`${dir}/**/*.parquet`)}, hive_partitioning = true) GROUP BY order_date`;
  const result = await connection.runAndReadAll(`
    WITH l AS (${summary(left)}), r AS (${summary(right)})
    SELECT (SELECT count(*) FROM l), (SELECT sum(n) FROM l),
           (SELECT count(*) FROM (SELECT * FROM l EXCEPT SELECT * FROM r)),
           (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM l))`);
  const [dates, total, leftOnly, rightOnly] = result.getRowsJS()[0]!.map(Number) as [number, number, number, number];
  connection.closeSync();
  if (leftOnly > 0 || rightOnly > 0) {
    return `${leftOnly} of ${dates} dates differ (${total} rows in ${left}; ${rightOnly} date summaries only in ${right})`;
  }
  return undefined;
}
