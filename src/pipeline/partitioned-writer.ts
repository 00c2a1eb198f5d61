import type { OutputFile } from './manifest.js';
import { ParquetFileWriter, Utf8Values, type FileColumn } from './parquet.js';
import type { ObjectStore } from './ports.js';
import type { RowValue } from './typed-row.js';

/**
 * Routes typed rows to one Parquet file per partition and keeps memory bounded: a partition's rows are buffered until
 * they make a full row group; when the rows buffered across all partitions pass `maxBufferedRows`, the largest buffer
 * is written out as a (smaller) row group early. Encoded bytes not yet sent to the store are bounded too (see
 * `maxPendingBytes`), so thousands of small partitions cannot pile up either.
 */

export interface PartitionedWriterOptions {
  store: ObjectStore;
  columns: FileColumn[];
  /** Position of each file column in a typed row. */
  rowIndexes: number[];
  /** Object key of the file for a partition path. */
  keyFor: (partitionPath: string) => string;
  rowGroupSize: number;
  maxBufferedRows: number;
  /** Encoded bytes held in memory across files before the largest is sent to its object (default 32 MiB). */
  maxPendingBytes?: number;
}

interface PartitionBuffer {
  path: string;
  key: string;
  columns: unknown[][];
  buffered: number;
  file?: ParquetFileWriter;
}

export class PartitionedParquetWriter {
  private readonly partitions = new Map<string, PartitionBuffer>();
  private bufferedRows = 0;
  /** For each file column: UTF-8 bytes of its strings, or undefined for a column of another type. */
  private readonly utf8: Array<Utf8Values | undefined>;
  private readonly maxPendingBytes: number;

  constructor(private readonly options: PartitionedWriterOptions) {
    this.utf8 = options.columns.map((c) => (c.type.kind === 'string' ? new Utf8Values() : undefined));
    this.maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024;
  }

  /**
   * Buffers one row (the values are copied; the array may be reused). Returns a promise only when a row group had to
   * be written, so the caller awaits only then.
   */
  add(values: RowValue[], partitionPath: string): Promise<void> | undefined {
    let partition = this.partitions.get(partitionPath);
    if (!partition) {
      partition = {
        path: partitionPath,
        key: this.options.keyFor(partitionPath),
        columns: this.options.columns.map(() => []),
        buffered: 0,
      };
      this.partitions.set(partitionPath, partition);
    }
    const { rowIndexes } = this.options;
    const { utf8 } = this;
    for (let c = 0; c < rowIndexes.length; c++) {
      const value = values[rowIndexes[c]!];
      const strings = utf8[c];
      partition.columns[c]!.push(strings !== undefined && typeof value === 'string' ? strings.bytes(value) : value);
    }
    partition.buffered++;
    this.bufferedRows++;
    if (partition.buffered >= this.options.rowGroupSize) return this.writeRowGroup(partition);
    if (this.bufferedRows > this.options.maxBufferedRows) return this.writeRowGroup(this.largestBuffer());
    return undefined;
  }

  /** Writes what is buffered, closes every file and returns them. */
  async finish(): Promise<OutputFile[]> {
    const outputs: OutputFile[] = [];
    for (const partition of this.partitions.values()) {
      await this.writeRowGroup(partition);
      const bytes = await partition.file!.close();
      outputs.push({ key: partition.key, partition: partition.path, rows: partition.file!.rowCount, bytes });
    }
    return outputs;
  }

  /** Discards every file being written: nothing becomes visible. */
  async abort(): Promise<void> {
    await Promise.allSettled([...this.partitions.values()].map((p) => p.file?.abort()));
  }

  private largestBuffer(): PartitionBuffer {
    let largest: PartitionBuffer | undefined;
    for (const partition of this.partitions.values()) {
      if (!largest || partition.buffered > largest.buffered) largest = partition;
    }
    return largest!;
  }

  private async writeRowGroup(partition: PartitionBuffer): Promise<void> {
    if (partition.buffered === 0 && partition.file) return;
    const { store, columns: fileColumns } = this.options;
    partition.file ??= new ParquetFileWriter(fileColumns, () => store.openSink(partition.key, 'application/vnd.apache.parquet'));
    const { columns, buffered } = partition;
    partition.columns = fileColumns.map(() => []);
    partition.buffered = 0;
    this.bufferedRows -= buffered;
    await partition.file.writeRowGroup(columns, buffered);
    await this.boundPendingBytes();
  }

  /** Sends the largest held files to their objects while the bytes held across files exceed the bound. */
  private async boundPendingBytes(): Promise<void> {
    for (;;) {
      let total = 0;
      let largest: ParquetFileWriter | undefined;
      for (const { file } of this.partitions.values()) {
        if (!file) continue;
        total += file.pendingBytes;
        if (!largest || file.pendingBytes > largest.pendingBytes) largest = file;
      }
      if (total <= this.maxPendingBytes || !largest) return;
      await largest.drain();
    }
  }
}
