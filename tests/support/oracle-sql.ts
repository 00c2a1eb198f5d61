/** DuckDB's own reading of a sales-orders CSV under the contract's rules: the oracle the pipeline is checked against. */

export const sq = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The rows the sales_orders contract should keep from a CSV, computed by DuckDB alone. */
export function expectedRowsSql(csvPath: string): string {
  return `
    WITH src AS (
      SELECT *, row_number() OVER () AS rn
      FROM read_csv(${sq(csvPath)}, header = true, all_varchar = true, quote = '"', escape = '"', nullstr = ['', 'NULL', 'N/A'])
    ), typed AS (
      SELECT rn, TRY_CAST(order_id AS BIGINT) AS order_id, customer_id, product, TRY_CAST(quantity AS INTEGER) AS quantity,
             TRY_CAST(price AS DECIMAL(10,2)) AS price, TRY_CAST(order_date AS DATE) AS order_date, notes,
             order_id AS raw_order_id, quantity AS raw_quantity, price AS raw_price, order_date AS raw_order_date
      FROM src
    ), valid AS (
      SELECT * FROM typed
      WHERE order_id IS NOT NULL AND customer_id IS NOT NULL AND product IS NOT NULL AND quantity IS NOT NULL
        AND price IS NOT NULL AND order_date IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY rn) = 1
    )
    SELECT order_id, customer_id, product, quantity, price, notes,
           CAST(quantity * price AS DECIMAL(18,2)) AS total_amount, order_date
    FROM valid`;
}

