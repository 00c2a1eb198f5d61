import { columnBufferFactory, type ColumnBuffer } from './column-buffer.js';
import type { OutputFile } from '../contract/run-manifest.js';
import { ParquetFileWriter, type FileColumn } from './parquet.js';
import type { ObjectStore } from '../contract/ports.js';
import type { RowValue } from '../typing/typed-row.js';

/**
 * Routes typed rows to one Parquet file per partition and keeps memory bounded: a partition's rows are buffered
 * (compactly, see column-buffer.ts) until they make a full row group; when the rows or bytes buffered across all
 * partitions pass `maxBufferedRows` or `maxBufferedBytes`, the largest buffer is written out as a (smaller) row group
 * early. Encoded bytes not yet sent to the store are bounded too (see
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
  /** Bytes of buffered values across partitions before the largest is written early (default 64 MiB). */
  maxBufferedBytes?: number;
  /** Encoded bytes held in memory across files before the largest is sent to its object (default 32 MiB). */
  maxPendingBytes?: number;
}

interface PartitionBuffer {
  path: string;
  key: string;
  columns: ColumnBuffer[];
  buffered: number;
  bufferedBytes: number;
  file?: ParquetFileWriter;
}

export class PartitionedParquetWriter {
  private readonly partitions = new Map<string, PartitionBuffer>();
  private bufferedRows = 0;
  private bufferedBytes = 0;
  /** For each file column, how to make an empty buffer for it (string columns share a dictionary across partitions). */
  private readonly newBuffers: Array<() => ColumnBuffer>;
  private readonly maxPendingBytes: number;
  private readonly maxBufferedBytes: number;

  constructor(private readonly options: PartitionedWriterOptions) {
    this.newBuffers = options.columns.map((c) => columnBufferFactory(c.type));
    this.maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
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
        columns: this.newBuffers.map((make) => make()),
        buffered: 0,
        bufferedBytes: 0,
      };
      this.partitions.set(partitionPath, partition);
    }
    const { rowIndexes } = this.options;
    const { columns } = partition;
    let bytes = 0;
    for (let c = 0; c < rowIndexes.length; c++) bytes += columns[c]!.push(values[rowIndexes[c]!]!);
    partition.buffered++;
    partition.bufferedBytes += bytes;
    this.bufferedRows++;
    this.bufferedBytes += bytes;
    if (partition.buffered >= this.options.rowGroupSize) return this.writeRowGroup(partition);
    if (this.bufferedRows > this.options.maxBufferedRows || this.bufferedBytes > this.maxBufferedBytes) {
      return this.writeRowGroup(this.largestBuffer());
    }
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
      if (!largest || partition.bufferedBytes > largest.bufferedBytes) largest = partition;
    }
    return largest!;
  }

  private async writeRowGroup(partition: PartitionBuffer): Promise<void> {
    if (partition.buffered === 0 && partition.file) return;
    const { store, columns: fileColumns } = this.options;
    partition.file ??= new ParquetFileWriter(fileColumns, () => store.openSink(partition.key, 'application/vnd.apache.parquet'));
    const { buffered } = partition;
    const columns = partition.columns.map((column) => column.take());
    partition.buffered = 0;
    this.bufferedRows -= buffered;
    this.bufferedBytes -= partition.bufferedBytes;
    partition.bufferedBytes = 0;
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
