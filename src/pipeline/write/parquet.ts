import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { ObjectSink } from '../contract/ports.js';
import { finishParquet } from './parquet-footer.js';
import { SNAPPY } from './snappy.js';
import { isSmallRowGroup, writeSmallRowGroup } from './small-row-group.js';
import type { ColumnType } from '../contract/column-type.js';

/**
 * Parquet output with hyparquet-writer: one file per partition per source file, written a row group at a time
 * straight into an ObjectSink. Physical types are the ones Athena reads without surprises.
 */

export interface FileColumn {
  name: string;
  type: ColumnType;
  required: boolean;
  /** Row-group min/max in the footer (default true): kept where a query engine prunes on them. */
  statistics?: boolean;
}

/** What a file's footer names as its writer. */
export const CREATED_BY = 'glueless (hyparquet-writer)';

/** Column values for one row group, in file-column order; null for a missing value. */
export type ColumnArrays = unknown[][];

/**
 * The Parquet schema of files with these columns: one array per columns array, so that every file of a run shares it
 * (and the footer writer serialises it once, see parquet-footer.ts).
 */
export function parquetSchema(columns: FileColumn[]): SchemaElement[] {
  let schema = schemas.get(columns);
  if (!schema) {
    schema = [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)];
    schemas.set(columns, schema);
  }
  return schema;
}

const schemas = new WeakMap<FileColumn[], SchemaElement[]>();

function schemaElement({ name, type, required }: FileColumn): SchemaElement {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL';
  switch (type.kind) {
    case 'string':
      return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'int':
      return { name, repetition_type, type: 'INT32' };
    case 'bigint':
      return { name, repetition_type, type: 'INT64' };
    case 'double':
      return { name, repetition_type, type: 'DOUBLE' };
    case 'boolean':
      return { name, repetition_type, type: 'BOOLEAN' };
    case 'date':
      return { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'timestamp':
      return {
        name,
        repetition_type,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      };
    case 'decimal': {
      const { precision, scale } = type;
      const decimal = { converted_type: 'DECIMAL', precision, scale, logical_type: { type: 'DECIMAL', precision, scale } } as const;
      // The Parquet spec's smallest physical type for the precision: what Spark, DuckDB and Athena all read.
      if (precision <= 9) return { name, repetition_type, type: 'INT32', ...decimal };
      if (precision <= 18) return { name, repetition_type, type: 'INT64', ...decimal };
      return { name, repetition_type, type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalByteLength(precision), ...decimal };
    }
  }
}

/**
 * The encoding for a column chunk whose values mostly differ (ids, amounts, free text): delta-packed for integers —
 * increasing ids shrink to a few bits a value — and PLAIN for the rest, instead of building a dictionary only to throw
 * it away. Undefined, and the writer's own dictionary-or-plain choice, where values repeat. A chunk of a few values
 * (a partition of a handful of rows: hourly or daily data over years) is PLAIN too: a dictionary page would cost a
 * page, its header and the writer's sampling for nothing (over 20,000 such files, ~0.45 s of a 7.3 s ingest).
 */
export function encodingFor(column: FileColumn, values: unknown[]): 'DELTA_BINARY_PACKED' | 'PLAIN' | undefined {
  const sampleSize = Math.min(values.length, ENCODING_SAMPLE);
  if (sampleSize < 64) return sampleSize <= PLAIN_UP_TO && schemaElement(column).type !== 'BOOLEAN' ? 'PLAIN' : undefined;
  const step = values.length / sampleSize;
  const seen = new Set<unknown>();
  for (let i = 0; i < sampleSize; i++) seen.add(values[Math.floor(i * step)]);
  if (seen.size <= sampleSize / 2) return undefined;
  const physical = schemaElement(column).type;
  return physical === 'INT32' || physical === 'INT64' ? 'DELTA_BINARY_PACKED' : physical === 'BOOLEAN' ? undefined : 'PLAIN';
}

const ENCODING_SAMPLE = 1024;
/** Values in a chunk written PLAIN whatever they are: too few for a dictionary to pay for its page. */
const PLAIN_UP_TO = 32;

/** Bytes of a two's-complement integer that holds every value of `precision` decimal digits. */
function decimalByteLength(precision: number): number {
  return Math.ceil((Math.log2(10) * precision + 1) / 8);
}

/** Where a file's bytes go: a streaming object, opened once there is a sizeable amount, or one whole-object write. */
export interface FileTarget {
  open(): Promise<ObjectSink>;
  /** Writes the complete file in one go (a file that never reached OPEN_SINK_AT); resolves with its size. */
  put(bytes: Uint8Array): Promise<number>;
}

/**
 * Bytes of one file on their way to the store. They are held in memory until there is a sizeable amount (or the file
 * is complete), and only then is the object opened: a run touching thousands of small partitions keeps at most the
 * big ones open as streaming uploads, and writes each small one in a single put at the end (one PutObject, or one
 * small file: no stream to open, feed and close for 1.4 KB).
 */
class SinkByteWriter extends ByteWriter {
  private sink?: ObjectSink;

  constructor(
    private readonly target: FileTarget,
    initialSize: number,
  ) {
    super(initialSize);
  }

  get pendingBytes(): number {
    return this.index;
  }

  get streaming(): boolean {
    return this.sink !== undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.index === 0 || (!this.sink && this.index < OPEN_SINK_AT)) return undefined;
    return this.drain();
  }

  /** The Parquet writer is done (footer written): bytes go on only to an open sink; `close` puts an unopened file. */
  async finish(): Promise<void> {
    if (this.sink) await this.drain();
  }

  /** Sends every held byte to the sink, opening it first if needed. */
  async drain(last = false): Promise<void> {
    this.sink ??= await this.target.open();
    if (this.index === 0) return;
    // The held bytes go to the sink as an exact copy (a sink may hold them a while: an upload gathers a part), and
    // writing starts again in a small buffer: a file keeps no room between row groups, however large the last was
    // (and none at all once complete: a run over thousands of partitions keeps thousands of completed writers).
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    this.buffer = new ArrayBuffer(last ? 0 : INITIAL_BUFFER);
    this.view = new DataView(this.buffer);
    await this.sink.write(chunk);
  }

  async close(): Promise<number> {
    if (!this.sink) {
      // Never opened: the whole file is here. The bytes are a view of the buffer, which is dropped with them.
      const bytes = new Uint8Array(this.buffer, 0, this.index);
      this.buffer = new ArrayBuffer(0);
      this.view = new DataView(this.buffer);
      this.index = 0;
      return this.target.put(bytes);
    }
    await this.drain(true);
    return this.sink.close();
  }

  async abort(): Promise<void> {
    await this.sink?.abort();
  }
}

const INITIAL_BUFFER = 16 * 1024;
/**
 * The least a file starts with; a file's first row group sizes its buffer (see below). A row group of a few rows takes
 * a few hundred bytes, and such a file may wait, open, for the end of the run (95,000 of them held 4 KiB each).
 */
const MIN_INITIAL_BUFFER = 1024;
/** A file's bytes go out to its object once this many are held. */
const OPEN_SINK_AT = 1024 * 1024;

/** One Parquet file being written: row groups go out as they come; `close` writes the footer and completes the object. */
export class ParquetFileWriter {
  private readonly writer: ParquetWriter;
  private readonly bytes: SinkByteWriter;
  private rows = 0;
  /** Per column, the encoding chosen from its first sizeable row group: the later ones are alike. */
  private readonly encodings: Array<ReturnType<typeof encodingFor> | null> = [];

  /**
   * @param target where the file goes (a sink is opened when the first bytes are ready to go out)
   * @param expectedBytes about how many bytes the first row group takes in memory: a small file starts in a small buffer
   * @param compress the SNAPPY compressor of its pages (a test passes one whose output depends on its input alone)
   */
  constructor(
    private readonly columns: FileColumn[],
    target: FileTarget,
    expectedBytes = INITIAL_BUFFER,
    compress: (bytes: Uint8Array) => Uint8Array = SNAPPY,
  ) {
    this.bytes = new SinkByteWriter(target, Math.min(INITIAL_BUFFER, Math.max(MIN_INITIAL_BUFFER, 2 * expectedBytes)));
    this.writer = new ParquetWriter({
      writer: this.bytes,
      schema: parquetSchema(columns),
      codec: 'SNAPPY',
      compressors: { SNAPPY: compress },
      createdBy: CREATED_BY,
    });
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Encoded bytes held in memory, not yet sent to the object. */
  get pendingBytes(): number {
    return this.bytes.pendingBytes;
  }

  /** Its object is open as a streaming write (it reached 1 MiB); otherwise `close` writes it whole in one go. */
  get streaming(): boolean {
    return this.bytes.streaming;
  }

  /**
   * Writes the arrays as exactly one row group. String columns may hold UTF-8 bytes (see column-buffer.ts) instead of
   * strings.
   */
  async writeRowGroup(data: ColumnArrays, rowCount: number): Promise<void> {
    if (rowCount === 0) return;
    const encodings = this.columns.map((column, index) => this.encodingOf(column, index, data[index]!));
    if (isSmallRowGroup(this.writer.schema, rowCount, encodings)) {
      // A few rows (a small partition): the same bytes as below, without hyparquet-writer's costs per chunk.
      const columns = this.columns.map((column, index) => ({ values: data[index]!, statistics: column.statistics ?? true }));
      await writeSmallRowGroup(this.writer, columns, rowCount);
    } else {
      const columnData = this.columns.map((column, index) => ({
        name: column.name,
        data: data[index] as never[],
        encoding: encodings[index],
        statistics: column.statistics ?? true,
      }));
      await this.writer.write({ columnData, rowGroupSize: rowCount });
    }
    this.detachStatistics();
    this.rows += rowCount;
  }

  /**
   * The writer keeps each column chunk's min and max, for the footer, as the values it was given: for strings, views of
   * a column buffer's room, which is reused for the next row group. Copies keep the footer right, and keep a file's
   * many row groups from holding on to a buffer each.
   */
  private detachStatistics(): void {
    for (const chunk of this.writer.row_groups.at(-1)?.columns ?? []) {
      const statistics = chunk.meta_data?.statistics;
      if (!statistics) continue;
      if (statistics.min_value instanceof Uint8Array) statistics.min_value = statistics.min_value.slice();
      if (statistics.max_value instanceof Uint8Array) statistics.max_value = statistics.max_value.slice();
    }
  }

  private encodingOf(column: FileColumn, index: number, values: unknown[]): ReturnType<typeof encodingFor> {
    const known = this.encodings[index];
    if (known !== undefined) return known ?? undefined;
    const encoding = encodingFor(column, values);
    if (values.length >= ENCODING_SAMPLE) this.encodings[index] = encoding ?? null;
    return encoding;
  }

  /** Sends the bytes held in memory to the object now (opening it), e.g. to bound memory across many files. */
  drain(): Promise<void> {
    return this.bytes.drain();
  }

  /** Footer, then the object is complete; resolves with the file's size in bytes. */
  async close(): Promise<number> {
    await finishParquet(this.writer, this.bytes);
    return this.bytes.close();
  }

  abort(): Promise<void> {
    return this.bytes.abort();
  }
}
