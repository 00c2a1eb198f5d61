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
  /** The whole file was rejected (bad header, malformed CSV, min_rows, max_error_ratio): all its rows count here. */
  | 'file_rejected';

/** Counts as a run goes; `finish` fixes them into a manifest. */
export class ManifestBuilder {
  rowsRead = 0;
  rowsWritten = 0;
  bytesIn = 0;
  readonly quarantinedByRule: Record<string, number> = {};
  readonly outputs: OutputFile[] = [];
  readonly warnings: string[] = [];
  readonly started = Date.now();

  constructor(
    private readonly dataset: string,
    private readonly source: string,
  ) {}

  countQuarantined(rule: QuarantineRule, rows = 1): void {
    this.quarantinedByRule[rule] = (this.quarantinedByRule[rule] ?? 0) + rows;
  }

  /** The file was rejected as a whole: nothing it held was written, every row read counts as quarantined. */
  rejectAll(): void {
    for (const rule of Object.keys(this.quarantinedByRule)) delete this.quarantinedByRule[rule];
    this.rowsWritten = 0;
    this.outputs.length = 0;
    if (this.rowsRead > 0) this.countQuarantined('file_rejected', this.rowsRead);
  }

  get rowsQuarantined(): number {
    return Object.values(this.quarantinedByRule).reduce((sum, n) => sum + n, 0);
  }

  finish(extra: { quarantineFile?: string; outcome?: 'ok' | 'rejected'; rejectReason?: string } = {}): RunManifest {
    const partitions = [...new Set(this.outputs.map((o) => o.partition))].sort();
    return {
      dataset: this.dataset,
      table: this.dataset,
      source: this.source,
      outcome: extra.outcome ?? 'ok',
      ...(extra.rejectReason ? { rejectReason: extra.rejectReason } : {}),
      rowsRead: this.rowsRead,
      rowsWritten: this.rowsWritten,
      rowsQuarantined: this.rowsQuarantined,
      quarantinedByRule: { ...this.quarantinedByRule },
      bytesIn: this.bytesIn,
      bytesOut: this.outputs.reduce((sum, o) => sum + o.bytes, 0),
      partitions,
      outputs: [...this.outputs].sort((a, b) => a.key.localeCompare(b.key)),
      ...(extra.quarantineFile ? { quarantineFile: extra.quarantineFile } : {}),
      warnings: [...this.warnings],
      startedAt: new Date(this.started).toISOString(),
      durationMs: Date.now() - this.started,
    };
  }
}
