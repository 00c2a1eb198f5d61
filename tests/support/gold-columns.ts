/**
 * The gold models' columns as fixed between the teams (the gold-layer work writes models/<name>.sql with exactly
 * these). Tests check the dashboards against this list, and against models/*.sql where those exist.
 */
export const GOLD_COLUMNS: Record<string, string[]> = {
  daily_revenue: ['order_date', 'orders', 'units', 'revenue'],
  top_products: ['product', 'units', 'revenue'],
  stock_indicators: [
    'ticker', 'trade_date', 'close', 'volume', 'pct_change', 'sma_7', 'sma_30', 'volatility_30', 'bb_middle', 'bb_upper',
    'bb_lower', 'ema_12', 'ema_26', 'macd', 'macd_signal', 'macd_hist',
  ],
  weather_monthly: [
    'place', 'month', 'temperature_max_mean', 'temperature_min_mean', 'precipitation_total', 'hottest_date', 'hottest_temperature',
  ],
  traffic_station_monthly: [
    'station_key', 'month', 'total_volume', 'mean_daily_volume', 'busiest_hour', 'weekday_mean_daily_volume', 'weekend_mean_daily_volume',
  ],
  lake_runs: ['table_name', 'run_date', 'files', 'rejected_files', 'rows_read', 'rows_written', 'rows_quarantined', 'last_success_at'],
  lake_quarantine: ['table_name', 'run_date', 'rule', 'rows'],
};
