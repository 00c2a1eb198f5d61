/**
 * The dashboard's data: one query per chart dataset, over the gold models (models/*.sql) and the lake's health models.
 * This is the one place to adjust when a model's columns change; the page (page-script.ts) reads these result sets
 * by key and column name. The SQL runs on the local lake's DuckDB catalog.
 */

export interface DashboardQuery {
  /** The model (table or view) the query reads; a lake without it shows the chart as "not built yet". */
  model: string;
  sql: string;
}

export const DASHBOARD_QUERIES = {
  /** Files and rows per run date, all tables together. */
  runs: {
    model: 'lake_runs',
    sql: `SELECT CAST(run_date AS VARCHAR) AS run_date, sum(files) AS files, sum(rejected_files) AS rejected_files,
                 sum(rows_read) AS rows_read, sum(rows_written) AS rows_written, sum(rows_quarantined) AS rows_quarantined
          FROM lake_runs GROUP BY run_date ORDER BY run_date`,
  },
  quarantineByRule: {
    model: 'lake_quarantine',
    sql: `SELECT rule, sum("rows") AS "rows" FROM lake_quarantine GROUP BY rule ORDER BY "rows" DESC, rule`,
  },
  /** Hours since each table's last successful run, as of the query (UTC). */
  freshness: {
    model: 'lake_runs',
    sql: `SELECT table_name, strftime(max(last_success_at), '%Y-%m-%d %H:%M:%S') AS last_success_at,
                 round(date_diff('minute', max(last_success_at), CAST(now() AS TIMESTAMP)) / 60.0, 1) AS hours_since
          FROM lake_runs GROUP BY table_name ORDER BY table_name`,
  },
  stockIndicators: {
    model: 'stock_indicators',
    sql: `SELECT ticker, CAST(trade_date AS VARCHAR) AS trade_date, close, volume, pct_change, sma_7, sma_30,
                 bb_middle, bb_upper, bb_lower, macd, macd_signal, macd_hist
          FROM stock_indicators ORDER BY ticker, trade_date`,
  },
  /** Mean 30-day volatility per ticker and month. */
  volatility: {
    model: 'stock_indicators',
    sql: `SELECT ticker, strftime(date_trunc('month', trade_date), '%Y-%m') AS month, avg(volatility_30) AS volatility
          FROM stock_indicators WHERE volatility_30 IS NOT NULL
          GROUP BY ticker, date_trunc('month', trade_date) ORDER BY ticker, month`,
  },
  dailyRevenue: {
    model: 'daily_revenue',
    sql: `SELECT CAST(order_date AS VARCHAR) AS order_date, orders, units, revenue FROM daily_revenue ORDER BY order_date`,
  },
  topProducts: {
    model: 'top_products',
    sql: `SELECT product, units, revenue FROM top_products ORDER BY revenue DESC, product LIMIT 12`,
  },
  weatherMonthly: {
    model: 'weather_monthly',
    sql: `SELECT place, strftime(month, '%Y-%m') AS month, temperature_max_mean, temperature_min_mean, precipitation_total
          FROM weather_monthly ORDER BY place, month`,
  },
  /** All stations together per month. */
  trafficMonthly: {
    model: 'traffic_station_monthly',
    sql: `SELECT strftime(month, '%Y-%m') AS month, sum(total_volume) AS total_volume,
                 sum(weekday_mean_daily_volume) AS weekday_mean_daily_volume,
                 sum(weekend_mean_daily_volume) AS weekend_mean_daily_volume
          FROM traffic_station_monthly GROUP BY month ORDER BY month`,
  },
} satisfies Record<string, DashboardQuery>;

export type DatasetKey = keyof typeof DASHBOARD_QUERIES;
