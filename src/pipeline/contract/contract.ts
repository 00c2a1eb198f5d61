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
  partition: PartitionSpec;
  file: FileRules;
  rowGroupSize: number;
}

export type SourceFormat = 'csv';

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
}

export type PartitionLayout = 'date' | 'year_month_day' | 'year_month' | 'year';

export interface PartitionSpec {
  /** Date or timestamp column the partition values come from, or `ingest_date`: the day the run started (UTC). */
  column: string;
  layout: PartitionLayout;
  byIngestDate: boolean;
}

/** The partition key name used when partitioning by the day of ingestion. */
export const INGEST_DATE = 'ingest_date';
