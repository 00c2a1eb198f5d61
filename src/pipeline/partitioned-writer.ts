import type { OutputFile } from './manifest.js';
import { ParquetFileWriter, type FileColumn } from './parquet.js';
import type { ObjectStore } from './ports.js';
import type { RowValue } from './typed-row.js';

/**
 * Routes typed rows to one Parquet file per partition and keeps memory bounded: a partition's rows are buffered until
 * they make a full row group; when the rows buffered across all partitions pass `maxBufferedRows`, the largest buffer
 * is written out as a (smaller) row group early.
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

  constructor(private readonly options: PartitionedWriterOptions) {}

  async add(values: RowValue[], partitionPath: string): Promise<void> {
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
    for (let c = 0; c < rowIndexes.length; c++) partition.columns[c]!.push(values[rowIndexes[c]!]);
    partition.buffered++;
    this.bufferedRows++;
    if (partition.buffered >= this.options.rowGroupSize) {
      await this.writeRowGroup(partition);
    } else if (this.bufferedRows > this.options.maxBufferedRows) {
      await this.writeRowGroup(this.largestBuffer());
    }
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
    partition.file ??= new ParquetFileWriter(
      this.options.columns,
      await this.options.store.openSink(partition.key, 'application/vnd.apache.parquet'),
    );
    const { columns, buffered } = partition;
    partition.columns = this.options.columns.map(() => []);
    partition.buffered = 0;
    this.bufferedRows -= buffered;
    await partition.file.writeRowGroup(columns, buffered);
  }
}
