-- Quarantined rows per table, day and rule (not_null, cast, unique, …; file_rejected for files refused whole), from
-- the run manifests.
-- materialized: view
SELECT table_name,
       CAST(started_at AS date)  AS run_date,
       rule,
       CAST(sum("rows") AS bigint) AS "rows"
FROM lake_manifest_rules
GROUP BY table_name, CAST(started_at AS date), rule
