import type { ColumnChunk, SchemaElement } from 'hyparquet';
import type { ByteWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { StringBuffer, type ColumnBuffer, type NumericBuffer, type SlotArray } from './column-buffer.js';

/**
 * One PLAIN page of a small row group (small-row-group.ts) read straight from a column buffer's typed arrays: the
 * values of rows `rows[start]` … `rows[end - 1]`. Gathering them first (a JS array per column, a Uint8Array view per
 * string, then hyparquet-writer's `unconvert` and `writePlain` copying them again) was most of the cost of 20,000
 * one-day files. The bytes, levels and statistics are the ones the gathered values give: small-file.ts, which writes
 * its pages, is held to the gathered path by tests/pipeline/write/small-file.test.ts.
 */

/** A page's facts for its header and its chunk's metadata (its levels and values are in the scratch writers). */
export interface EncodedPage {
  values: number;
  nulls: number;
  levelBytes: number;
  statistics?: PageStatistics | ChunkStatistics;
}

export interface PageStatistics {
  min_value: unknown;
  max_value: unknown;
  null_count: bigint;
  nan_count?: bigint;
}

/** Statistics as hyparquet-writer's own computation gives them (small-row-group.ts). */
export type ChunkStatistics = NonNullable<NonNullable<ColumnChunk['meta_data']>['statistics']>;

/** Where a page's definition levels and values are written (reset for each page). */
export interface PageScratch {
  levels: ByteWriter;
  page: ByteWriter;
}

export function resetWriter(bytes: ByteWriter): void {
  bytes.offset = 0;
  bytes.index = 0;
}

/**
 * Encodes the rows' values of `buffer` as a PLAIN page of `element`'s physical type into `scratch`; undefined when this
 * buffer and type are not read this way (the caller gathers the values instead).
 */
export function encodeRows(
  element: SchemaElement,
  buffer: ColumnBuffer,
  rows: Int32Array,
  start: number,
  end: number,
  withStatistics: boolean,
  scratch: PageScratch,
): EncodedPage | undefined {
  const direct = buffer.direct;
  if (!direct) return undefined;
  const strings = direct instanceof StringBuffer;
  const mode = strings ? (element.type === 'BYTE_ARRAY' ? STRINGS : UNSUPPORTED) : numericMode(element.type, direct.slots);
  if (mode === UNSUPPORTED) return undefined;
  const { levels, page } = scratch;
  resetWriter(levels);
  resetWriter(page);
  const count = end - start;
  let nulls = 0;
  let levelBytes = 0;
  if (element.repetition_type !== 'REQUIRED') {
    definition.length = count;
    for (let k = start; k < end; k++) {
      const missing = direct.isNull(rows[k]!);
      if (missing) nulls++;
      definition[k - start] = missing ? 0 : 1;
    }
    levelBytes = writeRleBitPackedHybrid(levels, definition, 1);
  }
  const statistics = strings
    ? writeStrings(direct, rows, start, end, page, withStatistics)
    : writeNumbers(direct as NumericBuffer, mode, rows, start, end, page, withStatistics);
  if (statistics) statistics.null_count = BigInt(nulls);
  return { values: count, nulls, levelBytes, statistics };
}

/** One page's definition levels (reused: a page is written synchronously). */
const definition: number[] = [];

const UNSUPPORTED = 0;
const STRINGS = 1;
const INT32 = 2;
/** A decimal of up to 9 digits: its unscaled bigint as an INT32. */
const DECIMAL_INT32 = 3;
const INT64 = 4;
/** A timestamp's milliseconds as an INT64: BigInt() as hyparquet-writer's unconvert does (a fraction throws there too). */
const MILLIS_INT64 = 5;
const DOUBLE = 6;
const BOOLEAN = 7;

/** How a slot's value is written as `type`, as hyparquet-writer's `unconvert` and `writePlain` write it. */
function numericMode(type: SchemaElement['type'], slots: SlotArray): number {
  if (type === 'INT32') return slots instanceof Int32Array ? INT32 : slots instanceof BigInt64Array ? DECIMAL_INT32 : UNSUPPORTED;
  if (type === 'INT64') return slots instanceof BigInt64Array ? INT64 : slots instanceof Float64Array ? MILLIS_INT64 : UNSUPPORTED;
  if (type === 'DOUBLE') return slots instanceof Float64Array ? DOUBLE : UNSUPPORTED;
  if (type === 'BOOLEAN') return slots instanceof Uint8Array ? BOOLEAN : UNSUPPORTED;
  return UNSUPPORTED;
}

function writeNumbers(
  buffer: NumericBuffer,
  mode: number,
  rows: Int32Array,
  start: number,
  end: number,
  page: ByteWriter,
  withStatistics: boolean,
): PageStatistics | undefined {
  const { slots } = buffer;
  if ((mode === INT64 || mode === DECIMAL_INT32) && LITTLE_ENDIAN) return writeInt64Slots(buffer, mode, rows, start, end, page, withStatistics);
  let min: number | bigint | boolean | undefined;
  let max: number | bigint | boolean | undefined;
  let nanCount = 0n;
  if (mode === BOOLEAN) {
    // Bit-packed, eight to a byte from the lowest bit.
    let byte = 0;
    let bit = 0;
    for (let k = start; k < end; k++) {
      const i = rows[k]!;
      if (buffer.isNull(i)) continue;
      const value = slots[i] === 1;
      if (value) byte |= 1 << bit;
      if (++bit === 8) {
        page.appendUint8(byte);
        byte = 0;
        bit = 0;
      }
      if (min === undefined || value < (min as boolean)) min = value;
      if (max === undefined || value > (max as boolean)) max = value;
    }
    if (bit > 0) page.appendUint8(byte);
  } else {
    for (let k = start; k < end; k++) {
      const i = rows[k]!;
      if (buffer.isNull(i)) continue;
      const value = slots[i]!;
      if (mode === INT32) page.appendInt32(value as number);
      else if (mode === DOUBLE) page.appendFloat64(value as number);
      else if (mode === INT64) page.appendInt64(value as bigint);
      else if (mode === MILLIS_INT64) appendMillis(page, value as number);
      else {
        const number = Number(value);
        if (number < -2147483648 || number > 2147483647) throw new Error(`parquet expected int32 value, got ${number}`);
        page.appendInt32(number);
      }
      if (mode === DOUBLE && Number.isNaN(value)) {
        nanCount++;
        continue;
      }
      if (min === undefined || value < (min as number)) min = value;
      if (max === undefined || value > (max as number)) max = value;
    }
  }
  if (!withStatistics) return undefined;
  // As hyparquet-writer's statistics: -0 is the min of zeros, +0 the max.
  if (min === 0) min = -0;
  if (max === 0) max = 0;
  return { min_value: min, max_value: max, null_count: 0n, nan_count: mode === DOUBLE ? nanCount : undefined };
}

/**
 * `writeNumbers` for bigint slots (INT64, or a decimal of up to 9 digits as an INT32) read as the two 32-bit words
 * each slot is: reading a BigInt64Array makes a bigint of every value read (an allocation each; 600,000 for 20,000
 * ten-row files of three such columns), compared again for the min and max. The same bytes and statistics; only the
 * min and max become bigints. A small gain measured alone (finish() over 20,000 partitions: ~3%).
 */
function writeInt64Slots(
  buffer: NumericBuffer,
  mode: number,
  rows: Int32Array,
  start: number,
  end: number,
  page: ByteWriter,
  withStatistics: boolean,
): PageStatistics | undefined {
  const slots = buffer.slots as BigInt64Array;
  const words = wordsOf(slots);
  let minAt = -1;
  let maxAt = -1;
  for (let k = start; k < end; k++) {
    const i = rows[k]!;
    if (buffer.isNull(i)) continue;
    const low = words[2 * i]!;
    const high = words[2 * i + 1]!;
    if (mode === INT64) appendInt64Words(page, low, high);
    else {
      // An int32 is a slot whose high word is its low word's sign.
      if (high !== low >> 31) throw new Error(`parquet expected int32 value, got ${Number(slots[i]!)}`);
      page.appendInt32(low);
    }
    if (!withStatistics) continue;
    if (minAt < 0 || compareWords(high, low, words[2 * minAt + 1]!, words[2 * minAt]!) < 0) minAt = i;
    if (maxAt < 0 || compareWords(high, low, words[2 * maxAt + 1]!, words[2 * maxAt]!) > 0) maxAt = i;
  }
  if (!withStatistics) return undefined;
  return { min_value: minAt < 0 ? undefined : slots[minAt], max_value: maxAt < 0 ? undefined : slots[maxAt], null_count: 0n, nan_count: undefined };
}

/** Two int64s given as their words: the high ones signed, the low ones unsigned. */
function compareWords(high: number, low: number, otherHigh: number, otherLow: number): number {
  if (high !== otherHigh) return high - otherHigh;
  return (low >>> 0) - (otherLow >>> 0);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The 32-bit words of a BigInt64Array (low word first, on a little-endian machine), one view per array. */
function wordsOf(slots: BigInt64Array): Int32Array {
  let words = wordViews.get(slots);
  if (!words) wordViews.set(slots, (words = new Int32Array(slots.buffer, slots.byteOffset, slots.length * 2)));
  return words;
}

const wordViews = new WeakMap<BigInt64Array, Int32Array>();

/**
 * A timestamp's milliseconds as an INT64, as `appendInt64(BigInt(value))` writes them, without a bigint for every
 * value when it is an exact integer (what typing gives); otherwise as that, which refuses a fraction.
 */
function appendMillis(page: ByteWriter, value: number): void {
  if (!Number.isSafeInteger(value)) {
    page.appendInt64(BigInt(value));
    return;
  }
  const high = Math.floor(value / 4294967296);
  appendInt64Words(page, value - high * 4294967296, high);
}

/** An INT64 given as its low word (its bits, signed or not) and its signed high word. */
function appendInt64Words(page: ByteWriter, low: number, high: number): void {
  page.ensure(8);
  page.view.setUint32(page.index, low >>> 0, true);
  page.view.setInt32(page.index + 4, high, true);
  page.index += 8;
  page.offset += 8;
}

/** Where a string's bytes are, filled in by `locate` (one object for all: read at once). */
const at = { bytes: new Uint8Array(0), start: 0, end: 0 };

function writeStrings(buffer: StringBuffer, rows: Int32Array, start: number, end: number, page: ByteWriter, withStatistics: boolean): PageStatistics | undefined {
  let minBytes: Uint8Array | undefined;
  let minStart = 0;
  let minEnd = 0;
  let maxBytes: Uint8Array | undefined;
  let maxStart = 0;
  let maxEnd = 0;
  let target = new Uint8Array(page.buffer);
  for (let k = start; k < end; k++) {
    const i = rows[k]!;
    if (buffer.isNull(i)) continue;
    buffer.locate(i, at);
    const { bytes, start: from, end: to } = at;
    const length = to - from;
    page.ensure(4 + length);
    if (target.buffer !== page.buffer) target = new Uint8Array(page.buffer);
    page.view.setUint32(page.index, length, true);
    const into = page.index + 4;
    for (let b = 0; b < length; b++) target[into + b] = bytes[from + b]!;
    page.index += 4 + length;
    page.offset += 4 + length;
    if (!withStatistics) continue;
    // The same bytes as the min or max (a dictionary's entry, which repeated strings share) cannot replace it.
    if (bytes === minBytes && from === minStart && to === minEnd && bytes === maxBytes && from === maxStart && to === maxEnd) continue;
    if (!minBytes || compareBytes(bytes, from, to, minBytes, minStart, minEnd) < 0) {
      minBytes = bytes;
      minStart = from;
      minEnd = to;
    }
    if (!maxBytes || compareBytes(bytes, from, to, maxBytes, maxStart, maxEnd) > 0) {
      maxBytes = bytes;
      maxStart = from;
      maxEnd = to;
    }
  }
  if (!withStatistics) return undefined;
  return {
    min_value: minBytes?.subarray(minStart, minEnd),
    max_value: maxBytes?.subarray(maxStart, maxEnd),
    null_count: 0n,
    nan_count: undefined,
  };
}

/** Unsigned byte order, a prefix first (the statistics' order for bytes, here and in small-row-group.ts). */
export function compareBytes(left: Uint8Array, leftStart: number, leftEnd: number, right: Uint8Array, rightStart: number, rightEnd: number): number {
  const length = Math.min(leftEnd - leftStart, rightEnd - rightStart);
  for (let i = 0; i < length; i++) {
    const difference = left[leftStart + i]! - right[rightStart + i]!;
    if (difference !== 0) return difference;
  }
  return leftEnd - leftStart - (rightEnd - rightStart);
}
