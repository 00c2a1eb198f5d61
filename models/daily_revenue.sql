-- Revenue, orders and units per day, over the latest version of each order line.
-- materialized: table
-- partition_by: order_date
-- granularity: year
-- refresh: same_key
SELECT order_date,
       CAST(count(*) AS bigint)                 AS orders,
       CAST(sum(quantity) AS bigint)            AS units,
       CAST(sum(total_amount) AS decimal(38, 2)) AS revenue
FROM sales_orders_current
GROUP BY order_date
