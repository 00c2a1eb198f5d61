-- Per station and month, over every direction and vehicle class: total and mean daily volume, the busiest hour of the
-- day (0–23, the hour with the most vehicles over the month; the earliest on a tie), and the mean daily volume on
-- weekdays and at weekends (Saturday, Sunday), over the latest count per key.
-- materialized: table
-- partition_by: month
-- granularity: year
-- refresh: same_key
WITH counts AS (
  SELECT station_key, count_date, daily_total, hour_00, hour_01, hour_02, hour_03, hour_04, hour_05, hour_06, hour_07, hour_08, hour_09, hour_10, hour_11, hour_12, hour_13, hour_14, hour_15, hour_16, hour_17, hour_18, hour_19, hour_20, hour_21, hour_22, hour_23,
         CAST(date_trunc('month', count_date) AS date) AS month
  FROM traffic_hourly_current
),
days AS (
  SELECT station_key, month, count_date,
         CAST(sum(daily_total) AS bigint) AS volume,
         -- 1970-01-05 was a Monday: 0 = Monday … 6 = Sunday, the same on both engines
         date_diff('day', DATE '1970-01-05', count_date) % 7 >= 5 AS weekend
  FROM counts
  GROUP BY station_key, month, count_date
),
months AS (
  SELECT station_key, month,
         CAST(sum(volume) AS bigint) AS total_volume,
         avg(volume) AS mean_daily_volume,
         avg(CASE WHEN NOT weekend THEN volume END) AS weekday_mean_daily_volume,
         avg(CASE WHEN weekend THEN volume END) AS weekend_mean_daily_volume
  FROM days
  GROUP BY station_key, month
),
hours AS (
  SELECT station_key, month,
         coalesce(CAST(sum(hour_00) AS bigint), 0) AS hour_00,
         coalesce(CAST(sum(hour_01) AS bigint), 0) AS hour_01,
         coalesce(CAST(sum(hour_02) AS bigint), 0) AS hour_02,
         coalesce(CAST(sum(hour_03) AS bigint), 0) AS hour_03,
         coalesce(CAST(sum(hour_04) AS bigint), 0) AS hour_04,
         coalesce(CAST(sum(hour_05) AS bigint), 0) AS hour_05,
         coalesce(CAST(sum(hour_06) AS bigint), 0) AS hour_06,
         coalesce(CAST(sum(hour_07) AS bigint), 0) AS hour_07,
         coalesce(CAST(sum(hour_08) AS bigint), 0) AS hour_08,
         coalesce(CAST(sum(hour_09) AS bigint), 0) AS hour_09,
         coalesce(CAST(sum(hour_10) AS bigint), 0) AS hour_10,
         coalesce(CAST(sum(hour_11) AS bigint), 0) AS hour_11,
         coalesce(CAST(sum(hour_12) AS bigint), 0) AS hour_12,
         coalesce(CAST(sum(hour_13) AS bigint), 0) AS hour_13,
         coalesce(CAST(sum(hour_14) AS bigint), 0) AS hour_14,
         coalesce(CAST(sum(hour_15) AS bigint), 0) AS hour_15,
         coalesce(CAST(sum(hour_16) AS bigint), 0) AS hour_16,
         coalesce(CAST(sum(hour_17) AS bigint), 0) AS hour_17,
         coalesce(CAST(sum(hour_18) AS bigint), 0) AS hour_18,
         coalesce(CAST(sum(hour_19) AS bigint), 0) AS hour_19,
         coalesce(CAST(sum(hour_20) AS bigint), 0) AS hour_20,
         coalesce(CAST(sum(hour_21) AS bigint), 0) AS hour_21,
         coalesce(CAST(sum(hour_22) AS bigint), 0) AS hour_22,
         coalesce(CAST(sum(hour_23) AS bigint), 0) AS hour_23
  FROM counts
  GROUP BY station_key, month
)
SELECT m.station_key,
       m.month,
       m.total_volume,
       m.mean_daily_volume,
       CASE greatest(hour_00, hour_01, hour_02, hour_03, hour_04, hour_05, hour_06, hour_07, hour_08, hour_09, hour_10, hour_11, hour_12, hour_13, hour_14, hour_15, hour_16, hour_17, hour_18, hour_19, hour_20, hour_21, hour_22, hour_23)
         WHEN hour_00 THEN 0
         WHEN hour_01 THEN 1
         WHEN hour_02 THEN 2
         WHEN hour_03 THEN 3
         WHEN hour_04 THEN 4
         WHEN hour_05 THEN 5
         WHEN hour_06 THEN 6
         WHEN hour_07 THEN 7
         WHEN hour_08 THEN 8
         WHEN hour_09 THEN 9
         WHEN hour_10 THEN 10
         WHEN hour_11 THEN 11
         WHEN hour_12 THEN 12
         WHEN hour_13 THEN 13
         WHEN hour_14 THEN 14
         WHEN hour_15 THEN 15
         WHEN hour_16 THEN 16
         WHEN hour_17 THEN 17
         WHEN hour_18 THEN 18
         WHEN hour_19 THEN 19
         WHEN hour_20 THEN 20
         WHEN hour_21 THEN 21
         WHEN hour_22 THEN 22
         WHEN hour_23 THEN 23
       END AS busiest_hour,
       m.weekday_mean_daily_volume,
       m.weekend_mean_daily_volume
FROM months m
JOIN hours h ON h.station_key = m.station_key AND h.month = m.month
