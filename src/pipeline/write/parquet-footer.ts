import type { ColumnChunk, ColumnMetaData, FileMetaData, RowGroup, SchemaElement } from 'hyparquet';
import { CompressionCodecs, ConvertedTypes, Encodings, FieldRepetitionTypes, PageTypes, ParquetTypes } from 'hyparquet/src/constants.js';
import { ByteWriter, type ParquetWriter } from 'hyparquet-writer';
import { writeBlooms } from 'hyparquet-writer/src/bloom.js';
import { writeIndexes } from 'hyparquet-writer/src/indexes.js';
import { logicalType, writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { schemaPathResolver } from 'hyparquet-writer/src/schema.js';
import { serializeTCompactProtocol } from 'hyparquet-writer/src/thrift.js';
import { unconvertStatistics } from 'hyparquet-writer/src/unconvert.js';
import { BINARY, CompactWriter, I32, LIST, STOP, STRUCT } from './compact-thrift.js';

/**
 * A Parquet file's footer (its FileMetaData, in Thrift's compact protocol), byte for byte what hyparquet-writer's
 * `writeMetadata` writes for the same metadata, at a fraction of the cost: that writer serialises a generic object
 * (`{ field_1: …, field_2: … }`, with a regular expression and a type guess per field), ~60 µs a footer, which over
 * 20,000 one-partition files was 1.3 s of a 7.7 s ingest. Here the fields are written in place, and the parts that are
 * the same for every file of a table (the schema, the column orders) are serialised once — by hyparquet-writer itself —
 * and copied. Metadata holding what glueless never writes (key-value metadata, sorting columns, size or geospatial
 * statistics, encrypted columns) goes to hyparquet-writer's own `writeMetadata`.
 *
 * `tests/pipeline/write/parquet-footer.test.ts` holds the two to the same bytes.
 */

/**
 * Completes a Parquet file as hyparquet-writer's `ParquetWriter.finish` does — its page indexes and bloom filters (by
 * its own code), the footer (here), the closing magic — and resolves when the byte writer has finished.
 */
export function finishParquet(parquet: ParquetWriter, writer: ByteWriter): void | Promise<void> {
  writeIndexes(writer, parquet.pendingIndexes);
  writeBlooms(writer, parquet.pendingIndexes);
  const metadata: FileMetaData = {
    version: 2,
    created_by: parquet.createdBy,
    schema: parquet.schema,
    num_rows: parquet.num_rows,
    row_groups: parquet.row_groups,
    key_value_metadata: parquet.kvMetadata,
    metadata_length: 0,
  };
  appendFooter(writer, metadata, parquet.statisticsTruncateLength);
  writer.appendUint32(PARQUET_MAGIC);
  return writer.finish();
}

/** "PAR1", little-endian. */
export const PARQUET_MAGIC = 0x31524150;

/** Appends the footer of `metadata` (FileMetaData then its 4-byte length) to `writer`. */
export function appendFooter(writer: ByteWriter, metadata: FileMetaData, statisticsTruncateLength?: number): void {
  if (!writtenHere(metadata)) {
    writeMetadata(writer, metadata, statisticsTruncateLength);
    return;
  }
  const out = scratch;
  out.reset();
  out.field(1, metadata.version);
  out.fieldHeader(2, LIST);
  out.copy(schemaBytesOf(metadata.schema));
  out.field(3, metadata.num_rows);
  out.listField(4, metadata.row_groups.length ? STRUCT : 0, metadata.row_groups.length);
  for (const group of metadata.row_groups) writeRowGroup(out, group, metadata.schema, statisticsTruncateLength);
  out.field(6, metadata.created_by);
  out.fieldHeader(7, LIST);
  out.copy(columnOrdersBytesOf(metadata.schema));
  out.byte(STOP);
  const bytes = out.bytes.subarray(0, out.at);
  writer.appendBytes(bytes);
  writer.appendUint32(bytes.length);
}

/** Whether every field present is one this writer writes (the rest go to hyparquet-writer). */
function writtenHere(metadata: FileMetaData): boolean {
  if (metadata.key_value_metadata !== undefined) return false;
  for (const group of metadata.row_groups) {
    if (group.sorting_columns !== undefined || group.file_offset !== undefined) return false;
    for (const chunk of group.columns) {
      if (chunk.file_path !== undefined || chunk.encrypted_column_metadata !== undefined) return false;
      const meta = chunk.meta_data;
      if (!meta) continue;
      if (meta.key_value_metadata !== undefined || meta.index_page_offset !== undefined) return false;
      if (meta.size_statistics !== undefined || meta.geospatial_statistics !== undefined) return false;
    }
  }
  return true;
}

function writeRowGroup(out: CompactWriter, group: RowGroup, schema: SchemaElement[], truncateLength: number | undefined): void {
  out.beginElement();
  out.listField(1, STRUCT, group.columns.length);
  for (const chunk of group.columns) writeColumnChunk(out, chunk, schema, truncateLength);
  out.field(2, group.total_byte_size);
  out.field(3, group.num_rows);
  out.field(6, group.total_compressed_size);
  out.endElement();
}

function writeColumnChunk(out: CompactWriter, chunk: ColumnChunk, schema: SchemaElement[], truncateLength: number | undefined): void {
  out.beginElement();
  out.field(2, chunk.file_offset);
  if (chunk.meta_data) {
    out.beginStruct(3);
    writeColumnMetaData(out, chunk.meta_data, schema, truncateLength);
    out.endStruct();
  }
  out.field(4, chunk.offset_index_offset);
  out.field(5, chunk.offset_index_length);
  out.field(6, chunk.column_index_offset);
  out.field(7, chunk.column_index_length);
  out.endElement();
}

function writeColumnMetaData(out: CompactWriter, meta: ColumnMetaData, schema: SchemaElement[], truncateLength: number | undefined): void {
  out.field(1, ParquetTypes.indexOf(meta.type));
  out.listField(2, meta.encodings.length ? I32 : 0, meta.encodings.length);
  for (const encoding of meta.encodings) out.scalar(Encodings.indexOf(encoding));
  out.listField(3, meta.path_in_schema.length ? BINARY : 0, meta.path_in_schema.length);
  for (const name of meta.path_in_schema) out.scalar(name);
  out.field(4, CompressionCodecs.indexOf(meta.codec));
  out.field(5, meta.num_values);
  out.field(6, meta.total_uncompressed_size);
  out.field(7, meta.total_compressed_size);
  out.field(9, meta.data_page_offset);
  out.field(11, meta.dictionary_page_offset);
  if (meta.statistics) {
    // hyparquet-writer's own conversion of min/max to bytes (truncation included): a flat struct of scalars.
    const statistics = unconvertStatistics(meta.statistics, leafOf(schema, meta.path_in_schema), truncateLength) as Record<string, unknown>;
    out.beginStruct(12);
    for (let fid = 1; fid <= STATISTICS_FIELDS; fid++) out.field(fid, statistics[`field_${fid}`]);
    out.endStruct();
  }
  if (meta.encoding_stats) {
    out.listField(13, meta.encoding_stats.length ? STRUCT : 0, meta.encoding_stats.length);
    for (const stats of meta.encoding_stats) {
      out.beginElement();
      out.field(1, PageTypes.indexOf(stats.page_type));
      out.field(2, Encodings.indexOf(stats.encoding));
      out.field(3, stats.count);
      out.endElement();
    }
  }
  out.field(14, meta.bloom_filter_offset);
  out.field(15, meta.bloom_filter_length);
}

/** Fields of Parquet's Statistics struct. */
const STATISTICS_FIELDS = 9;

/** The schema element of a chunk's column, found as hyparquet-writer's `writeMetadata` finds it (one resolver a schema). */
function leafOf(schema: SchemaElement[], pathInSchema: string[]): SchemaElement {
  let resolve = resolvers.get(schema);
  if (!resolve) resolvers.set(schema, (resolve = schemaPathResolver(schema)));
  return resolve(pathInSchema).at(-1)!.element;
}

const resolvers = new WeakMap<SchemaElement[], ReturnType<typeof schemaPathResolver>>();

const schemaBytes = new WeakMap<SchemaElement[], Uint8Array>();
const columnOrdersBytes = new WeakMap<SchemaElement[], Uint8Array>();

/** The value of FileMetaData's field 2, the schema list, as hyparquet-writer serialises it: once per schema array. */
export function schemaBytesOf(schema: SchemaElement[]): Uint8Array {
  let bytes = schemaBytes.get(schema);
  if (!bytes) {
    bytes = libraryValueBytes(
      schema.map((element) => ({
        field_1: element.type && ParquetTypes.indexOf(element.type),
        field_2: element.type_length,
        field_3: element.repetition_type && FieldRepetitionTypes.indexOf(element.repetition_type),
        field_4: element.name,
        field_5: element.num_children,
        field_6: element.converted_type && ConvertedTypes.indexOf(element.converted_type),
        field_7: element.scale,
        field_8: element.precision,
        field_9: element.field_id,
        field_10: logicalType(element.logical_type),
      })),
    );
    schemaBytes.set(schema, bytes);
  }
  return bytes;
}

/** The value of FileMetaData's field 7: a type-defined column order for every leaf column. */
export function columnOrdersBytesOf(schema: SchemaElement[]): Uint8Array {
  let bytes = columnOrdersBytes.get(schema);
  if (!bytes) {
    bytes = libraryValueBytes(schema.filter((element) => element.type).map(() => ({ field_1: {} })));
    columnOrdersBytes.set(schema, bytes);
  }
  return bytes;
}

/**
 * The bytes hyparquet-writer writes for `value` as a field's value: it serialises `{ field_1: value }` as a struct
 * (one header byte, the value, STOP), and the header and STOP are cut off.
 */
function libraryValueBytes(value: unknown): Uint8Array {
  const writer = new ByteWriter();
  serializeTCompactProtocol(writer, { field_1: value } as never);
  return new Uint8Array(writer.getBuffer()).slice(1, -1);
}

/** One writer for the process: footers are written one at a time (synchronously). */
const scratch = new CompactWriter();
