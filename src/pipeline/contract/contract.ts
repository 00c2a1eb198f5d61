import type { ColumnType } from './column-type.js';
import type { Expression } from './expression-tree.js';

/**
 * A dataset contract: what one raw key prefix holds and how it becomes a table. Loaded from datasets/<name>.yaml and
 * validated here, so everything downstream can trust it.
 */
export interface DatasetContract {
  /** Table name in the catalog (Athena / DuckDB). */
  name: string;
  description?: string;
  /** Raw key prefix this dataset owns, e.g. `sales/orders/`. */
  prefix: string;
  /** `source.format`: which reader turns the raw bytes into records. */
  format: SourceFormat;
  /** The reader's options (`source.*`); the limits apply to every format, the delimiter and quote to CSV. */
  csv: CsvOptions;
  columns: ColumnContract[];
  derived: DerivedColumn[];
  primaryKey: string[];
  /** `table`: a key the table already holds from another source file is quarantined too (default: within the file). */
  primaryKeyScope?: 'table';
  partition: PartitionSpec;
  file: FileRules;
  rowGroupSize: number;
}

export type SourceFormat = 'csv' | 'jsonl';

export interface CsvOptions {
  delimiter: string;
  quote: string;
  /** Tokens read as null in every column, compared after trimming. The empty string is always null. */
  nullTokens: string[];
  /** The longest record accepted; a longer one rejects the file instead of exhausting memory. */
  maxRecordChars: number;
  /** Bytes a gzip file may expand to; past it the file is rejected (decompression bomb bound). */
  maxUncompressedBytes: number;
  /** Output bytes per input byte a gzip file may reach; past it the file is rejected. */
  maxCompressionRatio: number;
}

export interface ColumnContract {
  name: string;
  /** Header in the source file; by default the header whose snake_case is `name`. */
  source?: string;
  type: ColumnType;
  required: boolean;
  parse: ParseOptions;
  rules: ValueRules;
  /** Row-group min/max in the Parquet footer; by default only for the primary key and the partition column. */
  statistics?: boolean;
}

/** How a column's text is read before it is cast. */
export interface ParseOptions {
  /** date / timestamp: `iso` (default), `epoch_s`, `epoch_ms`, or a pattern such as `MMM d yyyy`, `dd.MM.yyyy HH:mm`. */
  format?: string;
  /** timestamp: IANA time zone of values that carry no offset (default UTC). */
  timezone?: string;
  /** boolean: tokens for true and false, compared case-insensitively (default true/false, yes/no, 1/0, t/f, y/n). */
  trueValues?: string[];
  falseValues?: string[];
  /** Null tokens for this column, besides `source.null_values` and the empty field. */
  nullTokens: string[];
  /** string: strip surrounding whitespace (other types are always trimmed before casting). */
  trim: boolean;
}

/** Checks on a typed, non-null value; a failing row goes to quarantine under the rule's name. */
export interface ValueRules {
  acceptedValues?: string[];
  /** Bounds as written in the contract; cast to the column's type when the run starts. */
  min?: string;
  max?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

/** Checks on the file as a whole. */
export interface FileRules {
  /** Headers that must be present, beyond the declared columns. */
  requiredHeaders: string[];
  minRows: number;
  /** Quarantined rows / rows read above this rejects the whole file (no Parquet written). 1 = never. */
  maxErrorRatio: number;
  /** A header column no contract column reads: ignored with a warning, or the file is rejected. */
  extraColumns: 'ignore' | 'reject';
}

export interface DerivedColumn {
  name: string;
  type: ColumnType;
  expression: Expression;
  /** The expression as written in the contract, for DDL comments and error messages. */
  expressionText: string;
  /** Row-group min/max in the Parquet footer (default off for a derived column). */
  statistics?: boolean;
}

export type PartitionLayout = 'date' | 'year_month_day_hour' | 'year_month_day' | 'year_month' | 'year';

export interface PartitionSpec {
  /**
   * Date or timestamp column the partition values come from, or the arrival time: `ingest_date` (the day the run
   * started, UTC) or `ingest_time` (the moment it started, for hourly layouts, as Firehose's own key layout does).
   */
  column: string;
  layout: PartitionLayout;
  /** Partitioned by arrival (`ingest_date` or `ingest_time`), not by a column. */
  byIngestDate: boolean;
  /**
   * On Athena, partition projection instead of registration: the table computes its partitions from this range and
   * the location template, so no run registers any (what AWS advises for Firehose-style date/hour data). `from` is a
   * date; `to` a date or Athena's NOW form (a date key only; year/month/day keys end at `to`'s year, or 2099).
   * Rows beyond the range stay in S3 but Athena does not see them. Locally partitions are registered as always.
   */
  projection?: { from: string; to?: string };
}

/** The partition key name used when partitioning by the day of ingestion. */
export const INGEST_DATE = 'ingest_date';
/** The partition column name for partitioning by the moment of ingestion (UTC). */
export const INGEST_TIME = 'ingest_time';
