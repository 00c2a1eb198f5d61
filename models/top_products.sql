-- Units sold and revenue per product, best sellers first when ordered by revenue.
-- materialized: table
SELECT product,
       CAST(sum(quantity) AS bigint)             AS units,
       CAST(sum(total_amount) AS decimal(38, 2)) AS revenue
FROM sales_orders_current
GROUP BY product
