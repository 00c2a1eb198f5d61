import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { ObjectSink } from './ports.js';
import type { ColumnType } from './types.js';

/**
 * Parquet output with hyparquet-writer: one file per partition per source file, written a row group at a time
 * straight into an ObjectSink. Physical types are the ones Athena reads without surprises.
 */

export interface FileColumn {
  name: string;
  type: ColumnType;
  required: boolean;
}

/** Column values for one row group, in file-column order; null for a missing value. */
export type ColumnArrays = unknown[][];

export function parquetSchema(columns: FileColumn[]): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)];
}

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

/** Bytes of a two's-complement integer that holds every value of `precision` decimal digits. */
function decimalByteLength(precision: number): number {
  return Math.ceil((Math.log2(10) * precision + 1) / 8);
}

/** A ByteWriter that hands its bytes to a sink at every row group, so a file is never whole in memory. */
class SinkByteWriter extends ByteWriter {
  constructor(private readonly sink: ObjectSink) {
    super(64 * 1024);
  }

  flush(): Promise<void> | undefined {
    if (this.index === 0) return undefined;
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink.write(chunk);
  }

  async finish(): Promise<void> {
    await this.flush();
  }
}

/** One Parquet file being written: row groups go out as they come; `close` writes the footer and completes the object. */
export class ParquetFileWriter {
  private readonly writer: ParquetWriter;
  private readonly bytes: SinkByteWriter;
  private rows = 0;

  constructor(
    private readonly columns: FileColumn[],
    private readonly sink: ObjectSink,
  ) {
    this.bytes = new SinkByteWriter(sink);
    this.writer = new ParquetWriter({
      writer: this.bytes,
      schema: parquetSchema(columns),
      codec: 'SNAPPY',
      createdBy: 'glueless (hyparquet-writer)',
    });
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Writes the arrays as exactly one row group. */
  async writeRowGroup(data: ColumnArrays, rowCount: number): Promise<void> {
    if (rowCount === 0) return;
    const columnData = this.columns.map((column, index) => ({ name: column.name, data: data[index] as never[] }));
    await this.writer.write({ columnData, rowGroupSize: rowCount });
    this.rows += rowCount;
  }

  /** Footer, then the object is complete; resolves with the file's size in bytes. */
  async close(): Promise<number> {
    await this.writer.finish();
    return this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }
}
