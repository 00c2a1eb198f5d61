-- The ten best-selling products by revenue.
SELECT product,
       sum(quantity)     AS units,
       sum(total_amount) AS revenue
FROM sales_orders
GROUP BY product
ORDER BY revenue DESC, product
LIMIT 10;
