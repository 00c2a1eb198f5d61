import { GluelessError } from '../pipeline/contract/errors.js';

/**
 * A gold model: one `models/<name>.sql` file, a SELECT over tables and other models with a small header in SQL
 * comments, so the file stays plain SQL an analyst can run by hand.
 *
 *     -- materialized: table          view | table
 *     -- partition_by: trade_date     a date column of the result (tables only; omit for one unpartitioned table)
 *     -- granularity: year            year | month: partitions are coarse, gold tables are small
 *     -- refresh: this_and_later      same_key | this_and_later (window models: a change moves every later row)
 */
export type Materialization = 'view' | 'table';
export type Granularity = 'year' | 'month';
export type RefreshMode = 'same_key' | 'this_and_later';

export interface ModelDefinition {
  name: string;
  /** Where it was read from, for messages. */
  file: string;
  materialized: Materialization;
  partition?: { column: string; granularity: Granularity };
  refresh: RefreshMode;
  /** The SELECT, header comments included, without a trailing semicolon. */
  sql: string;
  /** Tables and models the SELECT reads (CTE names excluded), as written. */
  references: string[];
  description?: string;
}

/** A model file is malformed or not portable SQL. */
export class ModelError extends GluelessError {}

/** The name of the partition column a partitioned model's table gets (Athena keeps partition keys as columns). */
export function partitionColumnOf(granularity: Granularity): string {
  return `partition_${granularity}`;
}
