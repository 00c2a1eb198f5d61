import type { ColumnChunk, SchemaElement } from 'hyparquet';
import { Encodings, PageTypes } from 'hyparquet/src/constants.js';
import { ByteWriter, type ParquetWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writePlain } from 'hyparquet-writer/src/plain.js';
import { unconvert } from 'hyparquet-writer/src/unconvert.js';
import { CompactWriter, STOP } from './compact-thrift.js';
import type { ColumnBuffer } from './column-buffer.js';
import { compareBytes, encodeRows, resetWriter, type ChunkStatistics, type EncodedPage, type PageScratch } from './small-chunk.js';

/**
 * A row group of a few rows (a partition of a handful: daily or hourly data over years), written as hyparquet-writer's
 * `ParquetWriter.write` would write it — the same bytes, the same row-group and chunk metadata — without its fixed
 * costs per column chunk, which for 20,000 one-partition files were most of their encoding: two new 1 KiB buffers per
 * page, the page header through its generic Thrift writer, Dremel levels and copies of every array. Each chunk here is
 * one PLAIN data page (v2); the values are converted and written by hyparquet-writer's own functions (`unconvert`,
 * `writePlain`, `writeRleBitPackedHybrid`), the statistics are computed as its `getStatistics` does (not exported).
 *
 * `tests/pipeline/write/small-row-group.test.ts` holds it to hyparquet-writer's bytes.
 */

/** Row groups of at most this many rows are written here (every chunk PLAIN, one page). */
export const SMALL_ROW_GROUP = 32;

export interface SmallColumn {
  values: unknown[];
  /** Row-group min/max and encoding stats in the footer. */
  statistics: boolean;
}

/**
 * Whether `writeSmallRowGroup` writes these columns as hyparquet-writer would: few rows, a flat schema, and every chunk
 * PLAIN — what it chooses itself for booleans up to 16 values (RLE above), and what `encodingFor` asks for the rest.
 */
export function isSmallRowGroup(schema: SchemaElement[], rowCount: number, encodings: Array<string | undefined>): boolean {
  if (rowCount > SMALL_ROW_GROUP) return false;
  for (let c = 0; c < encodings.length; c++) {
    const element = schema[c + 1];
    if (!element || element.num_children || element.repetition_type === 'REPEATED') return false;
    const encoding = encodings[c] ?? (element.type === 'BOOLEAN' && rowCount <= 16 ? 'PLAIN' : undefined);
    if (encoding !== 'PLAIN') return false;
  }
  return true;
}

/**
 * Appends one row group of `columns` (in schema order, each `rowCount` values, null for a missing one) to the
 * Parquet writer's output, and records it as `ParquetWriter.write` does. Resolves once the byte writer's flush has.
 */
export function writeSmallRowGroup(
  parquet: ParquetWriter,
  columns: SmallColumn[],
  rowCount: number,
): void | Promise<void> {
  for (const { values } of columns) if (values.length !== rowCount) throw new Error('parquet columns must have the same length');
  const writer = parquet.writer as ByteWriter & { flush?: () => void | Promise<void> };
  const groupStart = writer.offset;
  const chunks: ColumnChunk[] = [];
  let totalByteSize = 0n;
  for (let c = 0; c < columns.length; c++) {
    const element = parquet.schema[c + 1]!;
    const { values, statistics } = columns[c]!;
    const chunk = appendChunk(writer, element, encodeValues(element, values, statistics), statistics, parquet);
    chunks.push(chunk);
    parquet.pendingIndexes.push({ chunk });
    totalByteSize += chunk.meta_data!.total_uncompressed_size;
  }
  parquet.num_rows += BigInt(rowCount);
  parquet.row_groups.push({
    columns: chunks,
    total_byte_size: totalByteSize,
    num_rows: BigInt(rowCount),
    total_compressed_size: BigInt(writer.offset - groupStart),
  });
  return writer.flush?.();
}

/**
 * One column's page of rows `rows[start]` … `rows[end - 1]` of a column buffer (a partition's rows in the row pool),
 * into the page scratch: read from the buffer as it is (small-chunk.ts), or, where it cannot be, from its values
 * gathered — the same bytes either way (small-file.ts writes a whole file of such pages).
 */
export function encodePageOfRows(element: SchemaElement, buffer: ColumnBuffer, rows: Int32Array, start: number, end: number, statistics: boolean): EncodedPage {
  return encodeRows(element, buffer, rows, start, end, statistics, pageScratch) ?? encodeValues(element, buffer.gather(rows, start, end), statistics);
}

/** The page type and encoding of every page written here, as their Thrift enum values. */
export const DATA_PAGE_V2 = PageTypes.indexOf('DATA_PAGE_V2');
export const PLAIN = Encodings.indexOf('PLAIN');

/** Scratch for one page's levels and values: reused, a chunk is written synchronously. */
const pageScratch: PageScratch = { levels: new ByteWriter(256), page: new ByteWriter(4096) };
const header = new CompactWriter();

/** A column's values as one PLAIN page, into the page scratch. */
function encodeValues(element: SchemaElement, values: unknown[], withStatistics: boolean): EncodedPage {
  const { type, type_length } = element;
  if (!type) throw new Error(`column ${element.name} cannot determine type`);
  const { levels, page } = pageScratch;
  const physical = unconvert(element, values as never) as unknown[];
  if (type === 'INT64') {
    for (const value of physical) {
      if (typeof value === 'bigint' && (value < INT64_MIN || value > INT64_MAX)) throw new RangeError(`parquet INT64 value out of range: ${value}`);
    }
  }
  const statistics = withStatistics ? statisticsOf(values, element) : undefined;

  // Definition levels (an optional column: 1 present, 0 missing), then the present values, PLAIN.
  resetWriter(levels);
  resetWriter(page);
  let nulls = 0;
  let levelBytes = 0;
  let present = physical;
  if (element.repetition_type !== 'REQUIRED') {
    const definition = new Array<number>(values.length);
    for (let i = 0; i < values.length; i++) {
      const missing = values[i] === null || values[i] === undefined;
      definition[i] = missing ? 0 : 1;
      if (missing) nulls++;
    }
    levelBytes = writeRleBitPackedHybrid(levels, definition, 1);
    if (nulls) present = physical.filter((value) => value !== null && value !== undefined);
  }
  writePlain(page, present as never, type, type_length);
  return { values: values.length, nulls, levelBytes, statistics };
}

/** The page in the scratch, compressed, after its header, appended as one column chunk; its metadata. */
function appendChunk(
  writer: ByteWriter,
  element: SchemaElement,
  page: EncodedPage,
  withStatistics: boolean,
  { codec, compressors }: ParquetWriter,
): ColumnChunk {
  const { type } = element;
  if (!type) throw new Error(`column ${element.name} cannot determine type`);
  const start = writer.offset;
  const uncompressed = appendPage(writer, page, compressors[codec]);
  return {
    meta_data: {
      type,
      encodings: ['PLAIN'],
      path_in_schema: [element.name],
      codec,
      num_values: BigInt(page.values),
      total_compressed_size: BigInt(writer.offset - start),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: BigInt(start),
      dictionary_page_offset: undefined,
      statistics: page.statistics as ChunkStatistics | undefined,
      encoding_stats: withStatistics ? [{ page_type: 'DATA_PAGE_V2', encoding: 'PLAIN', count: 1 }] : undefined,
      geospatial_statistics: undefined,
    },
    file_offset: BigInt(start),
  };
}

/**
 * The page in the scratch appended to `writer`: its header (a v2 data page, PLAIN), its definition levels, its values
 * compressed by `compress` (as they are without one). Returns the bytes it takes uncompressed, header included.
 */
export function appendPage(writer: ByteWriter, { values, nulls, levelBytes }: EncodedPage, compress: ((bytes: Uint8Array) => Uint8Array) | undefined): number {
  const pageBytes = pageScratch.page.getBytes();
  const compressed = compress?.(pageBytes) ?? pageBytes;

  header.reset();
  header.field(1, DATA_PAGE_V2);
  header.field(2, levelBytes + pageBytes.length);
  header.field(3, levelBytes + compressed.length);
  header.beginStruct(8);
  header.field(1, values);
  header.field(2, nulls);
  header.field(3, values);
  header.field(4, PLAIN);
  header.field(5, levelBytes);
  header.field(6, 0);
  header.endStruct();
  header.byte(STOP);
  // Copied byte by byte: a page's parts are a few dozen bytes, and a view of each to copy from was most of what
  // 200,000 pages allocated.
  const headerLength = header.at;
  writer.ensure(headerLength + levelBytes + compressed.length);
  const into = bytesOf(writer.buffer);
  let at = writer.index;
  at = copyInto(into, at, header.bytes, headerLength);
  if (levelBytes) at = copyInto(into, at, bytesOf(pageScratch.levels.buffer), levelBytes);
  at = copyInto(into, at, compressed, compressed.length);
  writer.offset += at - writer.index;
  writer.index = at;
  return headerLength + levelBytes + pageBytes.length;
}

/** A byte view of a writer's buffer, kept while the writer keeps that buffer (the last two: a file's and the levels'). */
function bytesOf(buffer: ArrayBuffer): Uint8Array {
  if (views[0]?.buffer === buffer) return views[0];
  if (views[1]?.buffer === buffer) return views[1];
  const view = new Uint8Array(buffer);
  views[1] = views[0];
  views[0] = view;
  return view;
}

const views: Uint8Array[] = [];

function copyInto(target: Uint8Array, at: number, source: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) target[at + i] = source[i]!;
  return at + length;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Min, max, null and NaN counts of a chunk, as hyparquet-writer computes them: NaN skipped (and counted for floating
 * columns), byte arrays in unsigned byte order, strings in code point order, -0 as the min and +0 as the max of zeros.
 */
function statisticsOf(values: unknown[], element: SchemaElement): ChunkStatistics {
  let min: unknown;
  let max: unknown;
  let nullCount = 0n;
  const floating = element.type === 'FLOAT' || element.type === 'DOUBLE' || element.logical_type?.type === 'FLOAT16';
  let nanCount = floating ? 0n : undefined;
  for (const raw of values) {
    if (raw === null || raw === undefined) {
      nullCount++;
      continue;
    }
    const value = physicalStatistic(raw, element);
    if (typeof value === 'object' && !(value instanceof Uint8Array)) continue;
    if (typeof value === 'number' && Number.isNaN(value)) {
      if (nanCount !== undefined) nanCount++;
      continue;
    }
    if (min === undefined || compareValues(value, min) < 0) min = value;
    if (max === undefined || compareValues(value, max) > 0) max = value;
  }
  if (min === 0) min = -0;
  if (max === 0) max = 0;
  return { min_value: min, max_value: max, null_count: nullCount, nan_count: nanCount } as ChunkStatistics;
}

/** A decimal given as a number, or a Date in a date or timestamp column, as the physical value it is written as. */
function physicalStatistic(value: unknown, element: SchemaElement): unknown {
  if (element.converted_type === 'DECIMAL' && typeof value === 'number') return BigInt(Math.round(value * 10 ** (element.scale || 0)));
  if (value instanceof Date && (element.type === 'INT32' || element.type === 'INT64')) return (unconvert(element, [value] as never) as unknown[])[0];
  return value;
}

function compareValues(left: unknown, right: unknown): number {
  if (left instanceof Uint8Array && right instanceof Uint8Array) return compareBytes(left, 0, left.length, right, 0, right.length);
  if (typeof left === 'string' && typeof right === 'string') return compareCodePoints(left, right);
  if ((left as number) < (right as number)) return -1;
  if ((left as number) > (right as number)) return 1;
  return 0;
}

/** UTF-8 byte order (code point order; a lone surrogate counts as U+FFFD, as TextEncoder writes it). */
function compareCodePoints(left: string, right: string): number {
  if (left === right) return 0;
  const length = Math.min(left.length, right.length);
  let i = 0;
  while (i < length && left.charCodeAt(i) === right.charCodeAt(i)) i++;
  if (i > 0) {
    const before = left.charCodeAt(i - 1);
    if (before >= 0xd800 && before <= 0xdbff) i--;
  }
  while (i < left.length && i < right.length) {
    const a = codePoint(left, i);
    const b = codePoint(right, i);
    if (a !== b) return a - b;
    i += a > 0xffff ? 2 : 1;
  }
  return left.length - right.length;
}

function codePoint(text: string, i: number): number {
  const code = text.codePointAt(i) ?? 0xfffd;
  return code >= 0xd800 && code <= 0xdfff ? 0xfffd : code;
}
