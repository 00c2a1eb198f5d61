-- Per place and month: mean daily maximum and minimum temperature (°C), total precipitation (mm) and the hottest day
-- (the earliest, when several days share the highest maximum), over the latest observation per place and day.
-- materialized: table
-- partition_by: month
-- granularity: year
-- refresh: same_key
WITH days AS (
  SELECT place, observed_date, temperature_max, temperature_min, precipitation_sum,
         CAST(date_trunc('month', observed_date) AS date) AS month
  FROM weather_daily_current
),
ranked AS (
  SELECT place, month, observed_date, temperature_max, temperature_min, precipitation_sum,
         row_number() OVER (PARTITION BY place, month ORDER BY temperature_max DESC NULLS LAST, observed_date) AS heat_rank
  FROM days
)
SELECT place,
       month,
       avg(temperature_max)                                            AS temperature_max_mean,
       avg(temperature_min)                                            AS temperature_min_mean,
       sum(precipitation_sum)                                          AS precipitation_total,
       max(CASE WHEN heat_rank = 1 AND temperature_max IS NOT NULL THEN observed_date END)   AS hottest_date,
       max(temperature_max)                                            AS hottest_temperature
FROM ranked
GROUP BY place, month
