import { columnBufferFactory, type ColumnBuffer } from './column-buffer.js';
import { appendGathered, RowPool } from './row-pool.js';
import { BoundedBackground } from '../support/bounded-background.js';
import type { OutputFile } from '../contract/run-manifest.js';
import { ParquetFileWriter, type FileColumn } from './parquet.js';
import { RepeatedChunks } from './repeated-chunks.js';
import { encodeSmallFile } from './small-file.js';
import { SNAPPY } from './snappy.js';
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
  /**
   * Encoded bytes held in memory across files before the largest is sent to its object (default 16 MiB: 5M rows
   * peaked ~18 MB lower than at 32 MiB, with the same files).
   */
  maxPendingBytes?: number;
  /**
   * How many partitions (the first to appear) get buffers of their own from their first row (default 256: a file of
   * a few partitions never uses the pool); later ones wait in the shared pool until they have POOLED_UP_TO rows.
   */
  ownBuffersFirst?: number;
}

interface PartitionBuffer {
  path: string;
  key: string;
  /** Its place among the partitions (its rows' tag in the pool). */
  ordinal: number;
  /**
   * Buffers of its own, once it has grown past POOLED_UP_TO rows; until then its rows (all `buffered` of them: a
   * partition writes nothing before it leaves the pool) wait in the pool.
   */
  columns?: ColumnBuffer[];
  buffered: number;
  bufferedBytes: number;
  file?: ParquetFileWriter;
  /** Completed by `finish`. */
  closed?: boolean;
}

const PARQUET = 'application/vnd.apache.parquet';

/** Files `finish` completes concurrently. */
const FILES_COMPLETED_AT_ONCE = 8;
/**
 * A partition's rows wait in the shared pool (row-pool.ts) until it has this many, then move to buffers of its own. A
 * pooled row is not counted by the bounds on buffered rows and bytes (it cannot be written early); at most this many
 * less one per partition are pooled.
 */
const POOLED_UP_TO = 64;

/** Over a bound, buffers are written early until what is buffered is back at this share of it. */
const EARLY_WRITE_DOWN_TO = 0.75;
/** Small files' single writes `finish` leaves in flight at once (each holds under 1 MiB). */
const PUTS_AT_ONCE = 64;

export class PartitionedParquetWriter {
  private readonly partitions = new Map<string, PartitionBuffer>();
  /** The partitions by ordinal. */
  private readonly byOrdinal: PartitionBuffer[] = [];
  /** Rows and bytes buffered in partitions' own buffers (what the bounds hold in check). */
  private bufferedRows = 0;
  private bufferedBytes = 0;
  private readonly pool: RowPool;
  /** Rows a partition has in the pool before it moves out: POOLED_UP_TO, or a whole row group if smaller. */
  private readonly poolLimit: number;
  private readonly ownBuffersFirst: number;
  /** Pooled rows of partitions that have reached `poolLimit`: they move out together (see `add`). */
  private outgrownRows = 0;
  /** Encoded bytes held across files, kept up to date as row groups are written and files drained. */
  private pendingBytes = 0;
  /** For each file column, how to make an empty buffer for it (string columns share a dictionary across partitions). */
  private readonly newBuffers: Array<() => ColumnBuffer>;
  private readonly maxPendingBytes: number;
  private readonly maxBufferedBytes: number;
  /** Chunks of small files whose rows hold one value (the lineage columns always do), copied into the next such file. */
  private readonly repeatedChunks = new RepeatedChunks();

  constructor(private readonly options: PartitionedWriterOptions) {
    this.newBuffers = options.columns.map((c) => columnBufferFactory(c.type));
    this.pool = new RowPool(this.newBuffers, options.rowIndexes);
    this.poolLimit = Math.max(1, Math.min(POOLED_UP_TO, options.rowGroupSize));
    this.ownBuffersFirst = options.ownBuffersFirst ?? 256;
    this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
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
        ordinal: this.byOrdinal.length,
        // Every field from the start: one shape for all partitions, whatever state they are in. The first few
        // partitions get buffers of their own at once: a file of a few partitions never uses the pool.
        columns: this.byOrdinal.length < this.ownBuffersFirst ? this.newBuffers.map((make) => make()) : undefined,
        buffered: 0,
        bufferedBytes: 0,
        file: undefined,
        closed: false,
      };
      this.partitions.set(partitionPath, partition);
      this.byOrdinal.push(partition);
    }
    const { columns } = partition;
    if (!columns) {
      partition.bufferedBytes += this.pool.push(values, partition.ordinal);
      partition.buffered++;
      if (partition.buffered === this.poolLimit) this.outgrownRows += this.poolLimit;
      else if (partition.buffered > this.poolLimit) this.outgrownRows++;
      // Partitions that outgrew the pool leave it together once their rows are a good share of it (each move
      // copies what stays), or at once when one has a whole row group there.
      if (this.outgrownRows === 0) return undefined;
      if (this.outgrownRows < this.pool.length / 4 && partition.buffered < this.options.rowGroupSize) return undefined;
      this.moveOutgrownPartitions();
      if (!partition.columns) return undefined;
    } else {
      const { rowIndexes } = this.options;
      let bytes = 0;
      for (let c = 0; c < rowIndexes.length; c++) bytes += columns[c]!.push(values[rowIndexes[c]!]!);
      partition.buffered++;
      partition.bufferedBytes += bytes;
      this.bufferedRows++;
      this.bufferedBytes += bytes;
    }
    if (partition.buffered >= this.options.rowGroupSize) return this.writeRowGroup(partition);
    if (this.bufferedRows > this.options.maxBufferedRows || this.bufferedBytes > this.maxBufferedBytes) return this.writeLargestBuffers();
    return undefined;
  }

  /**
   * Writes what is buffered, closes every file and returns them (in the order their partitions first appeared). A few
   * files are completed at a time: with thousands of small partitions the run is otherwise one file system round trip
   * after another. A small file (one write of its whole bytes) is left to finish in the background while the next
   * are encoded, up to PUTS_AT_ONCE of them: on S3 each is a PutObject of tens of milliseconds, so 20,000 daily
   * partitions would otherwise take 20,000 × that ÷ 8. A streamed file's lane waits for its upload (its part buffers
   * are megabytes). A completed file keeps nothing but its entry in the result.
   */
  async finish(): Promise<OutputFile[]> {
    const partitions = [...this.partitions.values()];
    const outputs: OutputFile[] = new Array(partitions.length);
    let next = 0;
    let failed = false;
    const puts = new BoundedBackground(PUTS_AT_ONCE);
    // One last row group is encoded at a time: its values are held as JS values while it is (bigints are objects), and
    // eight at once made the end of a 5M-row run its peak (+40 MB of heap). The writes and uploads still overlap.
    let encoding = Promise.resolve();
    const encodeAlone = (partition: PartitionBuffer) => {
      const turn = encoding.then(() => this.writeRowGroup(partition, false));
      encoding = turn.catch(() => undefined);
      return turn;
    };
    const completeFiles = async () => {
      for (let index = next++; index < partitions.length && !failed && !puts.failed; index = next++) {
        const partition = partitions[index]!;
        const whole = this.smallFileOf(partition);
        if (whole) {
          const room = puts.room();
          if (room) await room;
          const { key, path, buffered: rows } = partition;
          puts.add(putWhole(this.options.store, key, whole).then((bytes) => void (outputs[index] = { key, partition: path, rows, bytes })));
          partition.buffered = 0;
          partition.bufferedBytes = 0;
          partition.closed = true;
          continue;
        }
        await encodeAlone(partition);
        const file = partition.file!;
        this.pendingBytes -= file.pendingBytes;
        const { streaming, rowCount: rows } = file;
        if (!streaming) await puts.room();
        const closing = file.close().then((bytes) => {
          outputs[index] = { key: partition.key, partition: partition.path, rows, bytes };
        });
        partition.columns = [];
        partition.file = undefined;
        partition.closed = true;
        if (streaming) await closing;
        else puts.add(closing);
      }
    };
    // When one file fails, the others stop taking new files, and the failure is thrown only once none is still being
    // completed: the caller then removes what was completed, and no file can still appear after that.
    const lanes = await Promise.allSettled(
      Array.from({ length: Math.min(FILES_COMPLETED_AT_ONCE, partitions.length) }, () =>
        completeFiles().catch((error: unknown) => {
          failed = true;
          throw error;
        }),
      ),
    );
    await puts.idle();
    const failure = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
    if (failure) throw failure.reason;
    if (puts.failed) throw puts.failed.error;
    return outputs;
  }

  /**
   * A pooled partition's whole file, if its rows are a small row group (small-file.ts): the same bytes as a
   * ParquetFileWriter's for the rows gathered, in one pass.
   */
  private smallFileOf(partition: PartitionBuffer): Uint8Array | undefined {
    if (partition.columns || partition.file || partition.buffered === 0) return undefined;
    const { columns, rows, start, end } = this.pool.placeOf(partition.ordinal);
    return encodeSmallFile(this.options.columns, columns, rows, start, end, SNAPPY, this.repeatedChunks);
  }

  /** Discards every file being written: nothing becomes visible. */
  async abort(): Promise<void> {
    await Promise.allSettled([...this.partitions.values()].map((p) => (p.closed ? undefined : p.file?.abort())));
  }

  /**
   * Writes the largest buffers early, in turn, until what is buffered is back under three quarters of its bounds. One
   * pass over the partitions for many rows' worth of room: with tens of thousands of partitions of a few rows each, a
   * pass per row once over the bound (the largest buffer then holds a handful) made a run quadratic (95,000
   * partitions: 26 s).
   */
  private async writeLargestBuffers(): Promise<void> {
    const rowsTarget = this.options.maxBufferedRows * EARLY_WRITE_DOWN_TO;
    const bytesTarget = this.maxBufferedBytes * EARLY_WRITE_DOWN_TO;
    const largestFirst = [...this.partitions.values()]
      .filter((p) => p.columns && p.buffered > 0)
      .sort((a, b) => b.bufferedBytes - a.bufferedBytes);
    for (const partition of largestFirst) {
      if (this.bufferedRows <= rowsTarget && this.bufferedBytes <= bytesTarget) return;
      await this.writeRowGroup(partition);
    }
  }

  /** Gives every partition with `poolLimit` rows or more in the pool buffers of its own, its rows moved there in order. */
  private moveOutgrownPartitions(): void {
    this.pool.extract(
      (owner) => this.byOrdinal[owner]!.buffered >= this.poolLimit,
      (owner, values) => {
        const partition = this.byOrdinal[owner]!;
        const columns = this.newBuffers.map((make) => make());
        appendGathered(columns, values, partition.buffered);
        partition.columns = columns;
        this.bufferedRows += partition.buffered;
        this.bufferedBytes += partition.bufferedBytes;
      },
    );
    this.outgrownRows = 0;
  }

  private async writeRowGroup(partition: PartitionBuffer, bounded = true): Promise<void> {
    if (partition.buffered === 0 && partition.file) return;
    const { store, columns: fileColumns } = this.options;
    partition.file ??= new ParquetFileWriter(
      fileColumns,
      {
        open: () => store.openSink(partition.key, PARQUET),
        put: (bytes) => store.write(partition.key, bytes, PARQUET),
      },
      partition.bufferedBytes,
    );
    const { buffered } = partition;
    const pendingBefore = partition.file.pendingBytes;
    if (partition.columns) {
      const columns = partition.columns.map((column) => column.take());
      this.bufferedRows -= buffered;
      this.bufferedBytes -= partition.bufferedBytes;
      partition.buffered = 0;
      partition.bufferedBytes = 0;
      await partition.file.writeRowGroup(columns, buffered);
    } else {
      // A pooled partition is written only by `finish`, once no row is added any more, and a small row group of one
      // whole there (`smallFileOf`): the rows of one that is not are gathered from the pool.
      const columns = this.pool.rowsOf(partition.ordinal);
      partition.buffered = 0;
      partition.bufferedBytes = 0;
      await partition.file.writeRowGroup(columns, buffered);
    }
    this.pendingBytes += partition.file.pendingBytes - pendingBefore;
    if (bounded) await this.boundPendingBytes();
  }

  /**
   * Sends the largest held files to their objects while the bytes held across files exceed the bound. The total is
   * kept as files change, so the partitions are scanned only when it is over the bound (with thousands of partitions a
   * scan per row group made the run quadratic).
   */
  private async boundPendingBytes(): Promise<void> {
    while (this.pendingBytes > this.maxPendingBytes) {
      let largest: ParquetFileWriter | undefined;
      for (const { file } of this.partitions.values()) {
        if (file && (!largest || file.pendingBytes > largest.pendingBytes)) largest = file;
      }
      if (!largest || largest.pendingBytes === 0) return;
      const held = largest.pendingBytes;
      await largest.drain();
      this.pendingBytes -= held - largest.pendingBytes;
    }
  }
}

/** A store's write as a promise, even should it throw at once: the place `room` took is then given back as it ends. */
function putWhole(store: ObjectStore, key: string, bytes: Uint8Array): Promise<number> {
  try {
    return store.write(key, bytes, PARQUET);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
