import type { DuckDbCatalog } from '../../src/adapters/local/duckdb-catalog.js';

/**
 * Stand-ins for the gold models (models/*.sql, the gold-layer work) with exactly the columns fixed between the teams,
 * created as tables in a local lake's DuckDB catalog where the lake has no such model yet. daily_revenue and
 * top_products are computed from the lake's real sales_orders (ingest it first); the market, weather, traffic and
 * health tables are made from generated series. Where the real model exists, it is used instead.
 */
export const STAND_IN_SQL: Record<string, string> = {
  daily_revenue: `CREATE OR REPLACE TABLE daily_revenue AS
     SELECT order_date, count(*) AS orders, sum(quantity) AS units, sum(total_amount) AS revenue
     FROM sales_orders GROUP BY order_date`,
  top_products: `CREATE OR REPLACE TABLE top_products AS
     SELECT product, sum(quantity) AS units, sum(total_amount) AS revenue FROM sales_orders GROUP BY product`,
  stock_indicators: `CREATE OR REPLACE TABLE stock_indicators AS
     WITH days AS (
       SELECT t.ticker, d::DATE AS trade_date, row_number() OVER (PARTITION BY t.ticker ORDER BY d) AS i, t.base
       FROM (VALUES ('AAPL', 180.0), ('MSFT', 410.0)) t(ticker, base),
            generate_series(DATE '2026-06-01', DATE '2026-09-30', INTERVAL 1 DAY) g(d)
       WHERE dayofweek(d) NOT IN (0, 6)),
     prices AS (
       SELECT ticker, trade_date, i, base * (1 + 0.08 * sin(i / 9.0) + 0.0015 * i + 0.01 * cos(i * 1.7)) AS close,
              1e6 * (20 + 5 * sin(i / 3.0)) AS volume FROM days),
     changes AS (
       SELECT *, 100 * (close / lag(close) OVER w - 1) AS pct_change,
              avg(close) OVER (w ROWS 6 PRECEDING) AS sma_7, avg(close) OVER (w ROWS 29 PRECEDING) AS sma_30,
              avg(close) OVER (w ROWS 19 PRECEDING) AS bb_middle, stddev_samp(close) OVER (w ROWS 19 PRECEDING) AS sd_20,
              avg(close) OVER (w ROWS 11 PRECEDING) AS ema_12, avg(close) OVER (w ROWS 25 PRECEDING) AS ema_26
       FROM prices WINDOW w AS (PARTITION BY ticker ORDER BY trade_date)),
     macd AS (
       SELECT *, ema_12 - ema_26 AS macd,
              stddev_samp(pct_change) OVER (PARTITION BY ticker ORDER BY trade_date ROWS 29 PRECEDING) AS volatility_30
       FROM changes)
     SELECT ticker, trade_date, close, volume, pct_change, sma_7, sma_30, volatility_30, bb_middle,
            bb_middle + 2 * sd_20 AS bb_upper, bb_middle - 2 * sd_20 AS bb_lower, ema_12, ema_26, macd,
            avg(macd) OVER (PARTITION BY ticker ORDER BY trade_date ROWS 8 PRECEDING) AS macd_signal,
            macd - avg(macd) OVER (PARTITION BY ticker ORDER BY trade_date ROWS 8 PRECEDING) AS macd_hist
     FROM macd`,
  weather_monthly: `CREATE OR REPLACE TABLE weather_monthly AS
     SELECT place, m::DATE AS month, 18 + 8 * sin(month(m) / 2.0) + o AS temperature_max_mean,
            9 + 6 * sin(month(m) / 2.0) + o AS temperature_min_mean, 40 + 30 * cos(month(m)) AS precipitation_total,
            (m + INTERVAL 14 DAY)::DATE AS hottest_date, 28 + o AS hottest_temperature
     FROM (VALUES ('Sydney', 0.0), ('Canberra', -4.0)) p(place, o),
          generate_series(DATE '2026-01-01', DATE '2026-09-01', INTERVAL 1 MONTH) g(m)`,
  traffic_station_monthly: `CREATE OR REPLACE TABLE traffic_station_monthly AS
     SELECT station_key, m::DATE AS month, (k * 30000 + month(m) * 1000)::BIGINT AS total_volume,
            (k * 1000 + month(m) * 30)::DOUBLE AS mean_daily_volume, 8 AS busiest_hour,
            (k * 1100 + month(m) * 30)::DOUBLE AS weekday_mean_daily_volume, (k * 800 + month(m) * 20)::DOUBLE AS weekend_mean_daily_volume
     FROM (VALUES ('5001', 1), ('5002', 2)) s(station_key, k),
          generate_series(DATE '2026-01-01', DATE '2026-09-01', INTERVAL 1 MONTH) g(m)`,
  lake_runs: `CREATE OR REPLACE TABLE lake_runs AS
     SELECT table_name, d::DATE AS run_date, 3 AS files, (day(d) % 2)::INTEGER AS rejected_files, 1000 * day(d) AS rows_read,
            1000 * day(d) - 7 * day(d) AS rows_written, 7 * day(d) AS rows_quarantined,
            (d + INTERVAL 6 HOUR)::TIMESTAMP AS last_success_at
     FROM (VALUES ('sales_orders'), ('stock_daily')) t(table_name),
          generate_series(DATE '2026-11-25', DATE '2026-11-30', INTERVAL 1 DAY) g(d)`,
  lake_quarantine: `CREATE OR REPLACE TABLE lake_quarantine AS
     SELECT table_name, run_date, rule, "rows" FROM
       (VALUES ('sales_orders', DATE '2026-11-29', 'required', 12), ('sales_orders', DATE '2026-11-30', 'type', 5),
               ('stock_daily', DATE '2026-11-30', 'primary_key', 2), ('sales_orders', DATE '2026-11-30', 'required', 3))
       q(table_name, run_date, rule, "rows")`,
};

/** Creates the stand-in of every gold model the lake does not have (a model that exists is left alone); returns their names. */
export async function createGoldStandIns(catalog: DuckDbCatalog): Promise<string[]> {
  return catalog.withConnection(async (connection) => {
    const existing = new Set(
      (await connection.runAndReadAll('SELECT table_name FROM information_schema.tables')).getRowsJS().map(([name]) => String(name)),
    );
    const created: string[] = [];
    for (const [model, sql] of Object.entries(STAND_IN_SQL)) {
      if (existing.has(model)) continue;
      await connection.run(sql);
      created.push(model);
    }
    return created;
  });
}
