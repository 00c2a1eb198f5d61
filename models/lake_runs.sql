-- The lake's own health, per table and day, from the run manifests (the latest run of each source object): files
-- processed and rejected, rows read, written and quarantined, and when the last successful run started (freshness).
-- materialized: view
SELECT table_name,
       CAST(started_at AS date)                                             AS run_date,
       count(*)                                                             AS files,
       CAST(sum(CASE WHEN outcome = 'rejected' THEN 1 ELSE 0 END) AS bigint) AS rejected_files,
       CAST(sum(rows_read) AS bigint)                                       AS rows_read,
       CAST(sum(rows_written) AS bigint)                                    AS rows_written,
       CAST(sum(rows_quarantined) AS bigint)                                AS rows_quarantined,
       max(CASE WHEN outcome = 'ok' THEN started_at END)                    AS last_success_at
FROM lake_manifests
GROUP BY table_name, CAST(started_at AS date)
