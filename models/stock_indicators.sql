-- Moving averages, Bollinger bands, volatility, EMAs and MACD per ticker and trade date, over the latest bar per key.
-- Each ticker on its own; a windowed value is null until its window is full. EMAs are seeded with the first value
-- (pandas' ewm(span=n, adjust=False)) and computed as weighted sums over the last 250 rows, the oldest row in the
-- lookback standing in for the seed: Trino has no unbounded recursion, and (1 - α)^250 keeps the error below 1e-8.
-- materialized: table
-- partition_by: trade_date
-- granularity: year
-- refresh: this_and_later
WITH bars AS (
  SELECT ticker, trade_date, close, volume,
         row_number() OVER (PARTITION BY ticker ORDER BY trade_date) - 1 AS rn
  FROM stock_daily_current
),
emas AS (
  SELECT a.ticker, a.rn,
         sum(b.close * CASE WHEN b.rn = greatest(a.rn - 250, 0) THEN power(1 - 2e0 / 13, a.rn - b.rn)
                          ELSE 2e0 / 13 * power(1 - 2e0 / 13, a.rn - b.rn) END) AS ema_12,
         sum(b.close * CASE WHEN b.rn = greatest(a.rn - 250, 0) THEN power(1 - 2e0 / 27, a.rn - b.rn)
                          ELSE 2e0 / 27 * power(1 - 2e0 / 27, a.rn - b.rn) END) AS ema_26
  FROM bars a
  JOIN bars b ON b.ticker = a.ticker AND b.rn BETWEEN a.rn - 250 AND a.rn
  GROUP BY a.ticker, a.rn
),
macd AS (
  SELECT ticker, rn, ema_12, ema_26, ema_12 - ema_26 AS macd FROM emas
),
signals AS (
  SELECT a.ticker, a.rn,
         sum(b.macd * CASE WHEN b.rn = greatest(a.rn - 250, 0) THEN power(1 - 2e0 / 10, a.rn - b.rn)
                          ELSE 2e0 / 10 * power(1 - 2e0 / 10, a.rn - b.rn) END) AS macd_signal
  FROM macd a
  JOIN macd b ON b.ticker = a.ticker AND b.rn BETWEEN a.rn - 250 AND a.rn
  GROUP BY a.ticker, a.rn
),
changes AS (
  SELECT ticker, trade_date, rn, close, volume,
         100 * (close / lag(close) OVER (PARTITION BY ticker ORDER BY trade_date) - 1) AS pct_change
  FROM bars
),
windows AS (
  SELECT ticker, trade_date, rn, close, volume, pct_change,
         CASE WHEN count(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) = 7 THEN avg(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) END AS sma_7,
         CASE WHEN count(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) = 30 THEN avg(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) END AS sma_30,
         CASE WHEN count(pct_change) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) = 30 THEN stddev_samp(pct_change) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) END AS volatility_30,
         CASE WHEN count(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) = 20 THEN avg(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) END AS bb_middle,
         CASE WHEN count(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) = 20 THEN stddev_samp(close) OVER (PARTITION BY ticker ORDER BY trade_date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) END AS bb_sd
  FROM changes
)
SELECT w.ticker,
       w.trade_date,
       w.close,
       w.volume,
       w.pct_change,
       w.sma_7,
       w.sma_30,
       w.volatility_30,
       w.bb_middle,
       w.bb_middle + 2 * w.bb_sd AS bb_upper,
       w.bb_middle - 2 * w.bb_sd AS bb_lower,
       m.ema_12,
       m.ema_26,
       m.macd,
       s.macd_signal,
       m.macd - s.macd_signal AS macd_hist
FROM windows w
JOIN macd m ON m.ticker = w.ticker AND m.rn = w.rn
JOIN signals s ON s.ticker = w.ticker AND s.rn = w.rn
