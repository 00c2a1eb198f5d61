/** What one run did to one source object: the record the notice carries and the processed zone keeps. */
export interface RunManifest {
  dataset: string;
  table: string;
  /** Raw key of the source object, relative to the raw zone. */
  source: string;
  /** `ok`: rows written (some may be quarantined). `rejected`: the whole file went to quarantine. */
  outcome: 'ok' | 'rejected';
  rejectReason?: string;
  rowsRead: number;
  rowsWritten: number;
  rowsQuarantined: number;
  quarantinedByRule: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  partitions: string[];
  outputs: OutputFile[];
  quarantineFile?: string;
  /** Schema drift and other things worth a look that did not stop the run. */
  warnings: string[];
  startedAt: string;
  durationMs: number;
}

export interface OutputFile {
  /** Key relative to the processed zone, e.g. `sales_orders/order_date=2024-01-01/part-….parquet`. */
  key: string;
  partition: string;
  rows: number;
  bytes: number;
}

export type QuarantineRule =
  | 'cast'
  | 'not_null'
  | 'unique'
  | 'accepted_values'
  | 'range'
  | 'regex'
  | 'length'
  | 'derive'
  | 'column_count'
  /** JSON lines: a record that is not a JSON object (malformed, truncated, an array, a bare value). */
  | 'malformed'
  /** The whole file was rejected (bad header, malformed CSV, min_rows, max_error_ratio): all its rows count here. */
  | 'file_rejected';
