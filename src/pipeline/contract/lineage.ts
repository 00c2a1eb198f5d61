import type { ColumnType } from './column-type.js';

/**
 * Lineage columns every row of a table carries, last and underscored so they stay out of the analysts' way:
 * `_source_key`, the raw key of the object the row came from, and `_ingested_at`, when the run that wrote it started.
 * `<table>_current` keeps the latest row per primary key by `_ingested_at`.
 */
export const LINEAGE_COLUMNS: ReadonlyArray<{ name: '_source_key' | '_ingested_at'; type: ColumnType }> = [
  { name: '_source_key', type: { kind: 'string' } },
  { name: '_ingested_at', type: { kind: 'timestamp' } },
];
