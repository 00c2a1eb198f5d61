import type { OutputFile, QuarantineRule, RunManifest } from '../contract/run-manifest.js';

/** Counts as a run goes; `finish` fixes them into a manifest. */
export class ManifestBuilder {
  rowsRead = 0;
  rowsWritten = 0;
  bytesIn = 0;
  readonly quarantinedByRule: Record<string, number> = {};
  readonly outputs: OutputFile[] = [];
  readonly warnings: string[] = [];
  constructor(
    private readonly dataset: string,
    private readonly source: string,
    readonly started = Date.now(),
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
      // By code unit, as the partitions: the same order on every machine (localeCompare follows the locale, and is slower).
      outputs: [...this.outputs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      ...(extra.quarantineFile ? { quarantineFile: extra.quarantineFile } : {}),
      warnings: [...this.warnings],
      startedAt: new Date(this.started).toISOString(),
      durationMs: Date.now() - this.started,
    };
  }
}
