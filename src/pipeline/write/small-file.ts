import type { SchemaElement } from 'hyparquet';
import { CompressionCodecs, ParquetTypes } from 'hyparquet/src/constants.js';
import { ByteWriter } from 'hyparquet-writer';
import { unconvertMinMax } from 'hyparquet-writer/src/unconvert.js';
import { BINARY, CompactWriter, I32, LIST, STOP, STRUCT } from './compact-thrift.js';
import type { ColumnBuffer } from './column-buffer.js';
import { CREATED_BY, encodingFor, parquetSchema, type FileColumn } from './parquet.js';
import { columnOrdersBytesOf, PARQUET_MAGIC, schemaBytesOf } from './parquet-footer.js';
import { appendPage, DATA_PAGE_V2, encodePageOfRows, isSmallRowGroup, PLAIN, SMALL_ROW_GROUP } from './small-row-group.js';
import type { ChunkStatistics, EncodedPage, PageStatistics } from './small-chunk.js';
import type { RepeatedChunks } from './repeated-chunks.js';
import { SNAPPY } from './snappy.js';

/**
 * A whole Parquet file of one small row group — a partition of a handful of rows, as daily or hourly data over years
 * makes by the thousand — written in one pass into one buffer that serves file after file: the bytes a
 * `ParquetFileWriter` gives for the same rows (gathered, `writeRowGroup`, then `close`), without what it builds on the
 * way. That writer keeps, for each file, a ParquetWriter and a byte writer of its own, and for each column chunk a
 * metadata object with five bigints, arrays, its statistics as hyparquet-writer's objects, and then converts it all
 * again for the footer: over 20,000 one-day files of ten columns, ~170 MB of the run's ~770 MB of JS allocation came
 * from the chunks' metadata alone. Here each chunk's page is encoded as there (small-row-group.ts, the same code), and
 * the footer is written from what the pages say, field by field as parquet-footer.ts writes it, min and max turned into
 * bytes by hyparquet-writer's own `unconvertMinMax`.
 *
 * `tests/pipeline/write/small-file.test.ts` holds it to `ParquetFileWriter`'s bytes.
 */

/**
 * The file for rows `rows[start]` … `rows[end - 1]` of `buffers` (in file-column order) as one row group; undefined
 * when they are not a small row group (more rows, or booleans past 16 values), which `ParquetFileWriter` then writes.
 * The bytes are the caller's (a copy). With `repeated`, a column whose rows all hold one value is copied from an
 * earlier file's chunk when there is one (repeated-chunks.ts): the same bytes.
 */
export function encodeSmallFile(
  columns: FileColumn[],
  buffers: ColumnBuffer[],
  rows: Int32Array,
  start: number,
  end: number,
  compress: (bytes: Uint8Array) => Uint8Array = SNAPPY,
  repeated?: RepeatedChunks,
): Uint8Array | undefined {
  const rowCount = end - start;
  if (!isSmallFile(columns, rowCount)) return undefined;
  const schema = parquetSchema(columns);
  const file = fileScratch;
  file.offset = 0;
  file.index = 0;
  file.appendUint32(PARQUET_MAGIC);
  const chunks = chunkScratch;
  for (let c = 0; c < columns.length; c++) {
    const element = schema[c + 1]!;
    if (!element.type) throw new Error(`column ${element.name} cannot determine type`);
    const statistics = columns[c]!.statistics ?? true;
    const buffer = buffers[c]!;
    const offset = file.offset;
    // One value in every row: the chunk another file with as many rows of it got, when there was one.
    const oneValue = repeated && buffer.direct?.oneValueKey(rows, start, end);
    const kept = oneValue === undefined ? undefined : repeated!.get(c, rowCount, oneValue);
    let page: EncodedPage;
    let uncompressed: number;
    if (kept) {
      file.appendBytes(kept.bytes);
      ({ page, uncompressed } = kept);
    } else {
      page = encodePageOfRows(element, buffer, rows, start, end, statistics);
      uncompressed = appendPage(file, page, compress);
      if (oneValue !== undefined) repeated!.keep(c, rowCount, oneValue, new Uint8Array(file.buffer, offset, file.offset - offset), page, uncompressed);
    }
    const chunk = (chunks[c] ??= { page, statistics, offset, uncompressed, compressed: 0 });
    chunk.page = page;
    chunk.statistics = statistics;
    chunk.offset = offset;
    chunk.uncompressed = uncompressed;
    chunk.compressed = file.offset - offset;
  }
  const footer = writeFooter(schema, chunks, columns.length, rowCount, file.offset - 4);
  file.appendBytes(footer);
  file.appendUint32(footer.length);
  file.appendUint32(PARQUET_MAGIC);
  return new Uint8Array(file.buffer, 0, file.offset).slice();
}

/** What the footer needs of one chunk. */
interface ChunkFacts {
  page: EncodedPage;
  statistics: boolean;
  offset: number;
  uncompressed: number;
  compressed: number;
}

const fileScratch = new ByteWriter(16 * 1024);
/** One per column, reused from file to file. */
const chunkScratch: ChunkFacts[] = [];
const out = new CompactWriter();

/** FileMetaData, as parquet-footer.ts writes it for the metadata `ParquetFileWriter` would hold. */
function writeFooter(schema: SchemaElement[], chunks: ChunkFacts[], count: number, rowCount: number, groupBytes: number): Uint8Array {
  out.reset();
  out.field(1, 2);
  out.fieldHeader(2, LIST);
  out.copy(schemaBytesOf(schema));
  out.fieldI64(3, rowCount);
  out.listField(4, STRUCT, 1);
  out.beginElement();
  out.listField(1, STRUCT, count);
  let totalByteSize = 0;
  for (let c = 0; c < count; c++) {
    const chunk = chunks[c]!;
    totalByteSize += chunk.uncompressed;
    writeColumnChunk(schema[c + 1]!, chunk);
  }
  out.fieldI64(2, totalByteSize);
  out.fieldI64(3, rowCount);
  out.fieldI64(6, groupBytes);
  out.endElement();
  out.field(6, CREATED_BY);
  out.fieldHeader(7, LIST);
  out.copy(columnOrdersBytesOf(schema));
  out.byte(STOP);
  return out.bytes.subarray(0, out.at);
}

function writeColumnChunk(element: SchemaElement, { page, statistics, offset, uncompressed, compressed }: ChunkFacts): void {
  out.beginElement();
  out.fieldI64(2, offset);
  out.beginStruct(3);
  out.field(1, ParquetTypes.indexOf(element.type!));
  out.listField(2, I32, 1);
  out.scalar(PLAIN);
  out.listField(3, BINARY, 1);
  out.scalar(element.name);
  out.field(4, SNAPPY_CODEC);
  out.fieldI64(5, page.values);
  out.fieldI64(6, uncompressed);
  out.fieldI64(7, compressed);
  out.fieldI64(9, offset);
  if (page.statistics) writeStatistics(element, page.statistics);
  if (statistics) {
    out.listField(13, STRUCT, 1);
    out.beginElement();
    out.field(1, DATA_PAGE_V2);
    out.field(2, PLAIN);
    out.field(3, 1);
    out.endElement();
  }
  out.endStruct();
  out.endElement();
}

/** Statistics as hyparquet-writer's `unconvertStatistics` gives them for a page's min, max and counts. */
function writeStatistics(element: SchemaElement, statistics: PageStatistics | ChunkStatistics): void {
  out.beginStruct(12);
  out.field(3, statistics.null_count);
  const maxExact = writeBound(5, statistics.max_value, element, true);
  const minExact = writeBound(6, statistics.min_value, element, false);
  if (!maxExact) out.field(7, false);
  if (!minExact) out.field(8, false);
  out.field(9, (statistics as PageStatistics).nan_count);
  out.endStruct();
}

/**
 * A min or max as the bytes `unconvertMinMax` gives it: a fixed-width value written in place, the rest (byte arrays,
 * which it may cut; a decimal given as a number, which it scales) by that function. False when it was cut short (not
 * exact: hyparquet-writer's `minMaxIsExact`, which for a byte array is then a new array).
 */
function writeBound(fid: number, value: unknown, element: SchemaElement, isMax: boolean): boolean {
  if (value === undefined || value === null) return true;
  const width = fixedWidthOf(value, element);
  if (width) {
    out.fieldFixed(fid, width, value as number | bigint);
    return true;
  }
  const given = typeof value === 'string' ? utf8.encode(value) : value;
  const bytes = unconvertMinMax(given as never, element, isMax);
  out.field(fid, bytes);
  return !(element.type === 'BYTE_ARRAY' && given instanceof Uint8Array && bytes !== given);
}

/** How `unconvertMinMax` writes a number, bigint or boolean of this column, when it is one fixed-width value. */
function fixedWidthOf(value: unknown, { type, converted_type }: SchemaElement): 'byte' | 'int32' | 'int64' | 'double' | undefined {
  if (type === 'BOOLEAN') return typeof value === 'boolean' ? 'byte' : undefined;
  // A decimal given as a number is scaled first: left to unconvertMinMax.
  if (converted_type === 'DECIMAL' && typeof value !== 'bigint') return undefined;
  if (type === 'INT32') return typeof value === 'bigint' ? (converted_type === 'DECIMAL' ? 'int32' : undefined) : Number.isInteger(value) ? 'int32' : undefined;
  if (type === 'INT64') return typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value)) ? 'int64' : undefined;
  if (type === 'DOUBLE') return typeof value === 'number' ? 'double' : undefined;
  return undefined;
}

/** A string bound is turned into its UTF-8 bytes first (as hyparquet-writer does), so that a cut shows as a new array. */
const utf8 = new TextEncoder();

const SNAPPY_CODEC = CompressionCodecs.indexOf('SNAPPY');

/** Whether `rowCount` rows of these columns are a small row group for a new `ParquetFileWriter` (its `writeRowGroup`). */
function isSmallFile(columns: FileColumn[], rowCount: number): boolean {
  if (rowCount === 0 || rowCount > SMALL_ROW_GROUP) return false;
  let answers = smallFiles.get(columns);
  if (!answers) smallFiles.set(columns, (answers = []));
  return (answers[rowCount] ??= isSmallRowGroup(
    parquetSchema(columns),
    rowCount,
    columns.map((column) => encodingFor(column, new Array<unknown>(rowCount))),
  ));
}

const smallFiles = new WeakMap<FileColumn[], boolean[]>();
