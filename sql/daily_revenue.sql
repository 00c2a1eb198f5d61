-- Revenue and orders per day.
SELECT order_date,
       count(*)          AS orders,
       sum(quantity)     AS units,
       sum(total_amount) AS revenue
FROM sales_orders
GROUP BY order_date
ORDER BY order_date;
