import type { ColumnType } from '../contract/column-type.js';
import type { RowValue } from '../typing/typed-row.js';
import { encodeUtf8Into, withRoom } from '../support/typed-arrays.js';
import { Utf8Field } from '../support/utf8-field.js';
import { ByteKeyedIds } from './byte-keyed-ids.js';
import { fnv1a } from '../support/byte-hash.js';

/**
 * A partition's rows wait here, column by column, until they are written as a row group. Values are held in typed
 * arrays — numbers unboxed, strings as UTF-8 bytes in one growing block or as an index into a dictionary shared across
 * partitions — not as a JS value per cell: a row costs tens of bytes instead of a few hundred, and the garbage
 * collector sees a handful of arrays instead of an object per string that lives long enough to be promoted. `take`
 * hands the values over as the array hyparquet-writer wants and empties the buffer.
 */
export interface ColumnBuffer {
  readonly length: number;
  /** Appends a value; returns about how many bytes it takes here (for the writer's memory bound). */
  push(value: RowValue): number;
  /**
   * The buffered values (null for a missing one), in order; the buffer is empty afterwards but keeps its room, so a
   * partition's buffers are allocated once, not once per row group (they would live long enough to be promoted, and
   * then wait as garbage for a full collection). Bytes handed back may be views of that room: use them before the
   * next `push`.
   */
  take(): unknown[];
  /**
   * The values of rows `rows[start]`, `rows[start + 1]`, … `rows[end - 1]` (indexes into this buffer), in that order,
   * as `take` gives them, leaving the buffer as it is (see row-pool.ts). Bytes may be views of its room: use them
   * before the next `push` or `clear`.
   */
  gather(rows: Int32Array, start: number, end: number): unknown[];
  /** Empties the buffer, keeping its room. */
  clear(): void;
  /**
   * What small-chunk.ts reads values through without gathering them (a file of a few rows: see there); absent where
   * values are kept as they came.
   */
  readonly direct?: NumericBuffer | StringBuffer;
}

/** Shared by the buffers of one string column across all partitions: repeated values are encoded to UTF-8 once. */
export class StringDictionary {
  private readonly ids = new Map<string, number>();
  readonly bytes: Uint8Array[] = [];
  private lookups = 0;
  private misses = 0;
  /** False once the column has shown it rarely repeats (ids, free text): every value then goes straight to bytes. */
  active = true;

  /** The value's id, adding it while the dictionary is in use; -1 when the value is to be stored as bytes instead. */
  idOf(text: string): number {
    // Once given up, not even looked up: hashing every value of a column of free text costs more than it saves.
    if (!this.active) return -1;
    const known = this.ids.get(text);
    this.lookups++;
    if (known !== undefined) return known;
    this.misses++;
    if (this.givesUp()) return -1;
    const bytes = Buffer.from(text, 'utf8');
    // Keyed by a copy: `text` may be a slice that keeps the whole piece of the file it was cut from alive.
    return this.add(bytes, bytes.toString('utf8'), fnv1a(bytes, 0, bytes.length));
  }

  /** `idOf` for the UTF-8 bytes of a value (the CSV byte lane): the same ids, found without a string. */
  idOfBytes(source: Uint8Array, start: number, end: number): number {
    if (!this.active) return -1;
    const hash = fnv1a(source, start, end);
    const known = this.byBytes.find(hash, source, start, end);
    this.lookups++;
    if (known >= 0) return known;
    this.misses++;
    if (this.givesUp()) return -1;
    const bytes = Buffer.from(source.subarray(start, end));
    return this.add(bytes, bytes.toString('utf8'), hash);
  }

  /** The same ids by the values' bytes (each value is found by its text or its bytes, as it comes). */
  private readonly byBytes = new ByteKeyedIds(this.bytes);

  private givesUp(): boolean {
    if ((this.lookups >= DICTIONARY_PROBE && this.misses > this.lookups / 2) || this.bytes.length >= DICTIONARY_ENTRIES) {
      this.active = false;
      return true;
    }
    return false;
  }

  private add(bytes: Buffer, text: string, hash: number): number {
    const id = this.bytes.length;
    this.bytes.push(bytes);
    this.ids.set(text, id);
    this.byBytes.add(hash);
    return id;
  }
}

/** Entries a string dictionary holds at most: a column with more distinct values stores the rest as bytes. */
const DICTIONARY_ENTRIES = 50_000;
/** Judged over enough values that a column of a few thousand distinct ids (customers) still counts as repeating. */
const DICTIONARY_PROBE = 4096;

/** Presence of each value; lazily allocated, so a column without nulls pays nothing. */
class NullMask {
  private nulls?: Uint8Array;

  set(index: number): void {
    if (!this.nulls || index >= this.nulls.length) this.nulls = withRoom(this.nulls ?? new Uint8Array(0), index + 1);
    this.nulls[index] = 1;
  }

  isNull(index: number): boolean {
    return this.nulls !== undefined && index < this.nulls.length && this.nulls[index] === 1;
  }

  /** Marks the first `length` values present again, keeping the room. */
  clear(length: number): void {
    this.nulls?.fill(0, 0, length);
  }
}

export type SlotArray = Int32Array | Float64Array | Uint8Array | BigInt64Array;

/**
 * int, date, double, timestamp, boolean, bigint and decimals up to 18 digits (as their unscaled bigint): one
 * typed-array slot per value, handed back as stored (booleans, stored as 0/1, as booleans).
 */
export class NumericBuffer implements ColumnBuffer {
  length = 0;
  private readonly nulls = new NullMask();

  constructor(
    private values: SlotArray,
    private readonly booleans = false,
  ) {}

  get direct(): NumericBuffer {
    return this;
  }

  /** The value slots (row i at index i; a null row's slot holds nothing). */
  get slots(): SlotArray {
    return this.values;
  }

  isNull(index: number): boolean {
    return this.nulls.isNull(index);
  }

  /**
   * A key for the one value rows `rows[start]` … `rows[end - 1]` all hold (null too), or undefined when they differ.
   * Values of the same bits: `Object.is` tells 0 from -0, and a NaN (whose bits may differ) is never one value.
   */
  oneValueKey(rows: Int32Array, start: number, end: number): string | undefined {
    const { values } = this;
    if (start >= end) return undefined;
    const first = rows[start]!;
    const isNull = this.nulls.isNull(first);
    const value = values[first]!;
    if (!isNull && value !== value) return undefined;
    for (let k = start + 1; k < end; k++) {
      const i = rows[k]!;
      if (this.nulls.isNull(i) !== isNull || (!isNull && !Object.is(values[i], value))) return undefined;
    }
    return isNull ? 'null' : Object.is(value, -0) ? '-0' : String(value);
  }

  push(value: RowValue): number {
    const index = this.length++;
    if (index >= this.values.length) this.values = withRoom(this.values, index + 1);
    if (value === null) this.nulls.set(index);
    else this.values[index] = value as never;
    return this.values.BYTES_PER_ELEMENT;
  }

  take(): unknown[] {
    const { values, nulls, booleans } = this;
    const out = new Array<unknown>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = nulls.isNull(i) ? null : booleans ? values[i] === 1 : values[i];
    this.clear();
    return out;
  }

  gather(rows: Int32Array, start: number, end: number): unknown[] {
    const { values, nulls, booleans } = this;
    const out = new Array<unknown>(end - start);
    for (let k = start; k < end; k++) {
      const i = rows[k]!;
      out[k - start] = nulls.isNull(i) ? null : booleans ? values[i] === 1 : values[i];
    }
    return out;
  }

  clear(): void {
    this.nulls.clear(this.length);
    this.length = 0;
  }
}

/**
 * Strings as UTF-8: a dictionary id where the column repeats, otherwise the bytes appended to one block. Handed over
 * as Uint8Arrays: the dictionary's own (so the writer's dictionary sees repeats as the same object) or views of the
 * block (one allocation per value, short-lived).
 */
export class StringBuffer implements ColumnBuffer {
  length = 0;
  /** Per value: a dictionary id (≥ 0), NULL_VALUE, or IN_BLOCK (the next bytes in `block`). */
  private refs = new Int32Array(0);
  private block = new Uint8Array(0);
  private blockUsed = 0;
  /** End in `block` of each value stored there, in order. */
  private ends = new Int32Array(0);
  private inBlock = 0;

  constructor(private readonly dictionary: StringDictionary) {}

  get direct(): StringBuffer {
    return this;
  }

  isNull(index: number): boolean {
    return this.refs[index] === NULL_VALUE;
  }

  /**
   * A key for the one value rows `rows[start]` … `rows[end - 1]` all hold, or undefined when they differ: null, or one
   * entry of the column's dictionary (values kept as bytes of their own are not compared).
   */
  oneValueKey(rows: Int32Array, start: number, end: number): string | undefined {
    const { refs } = this;
    if (start >= end) return undefined;
    const ref = refs[rows[start]!]!;
    if (ref === IN_BLOCK) return undefined;
    for (let k = start + 1; k < end; k++) if (refs[rows[k]!] !== ref) return undefined;
    return ref === NULL_VALUE ? 'null' : String(ref);
  }

  /**
   * Where row `index`'s UTF-8 bytes are (not for a null row): `at.bytes[at.start]` … `at.bytes[at.end - 1]`. Valid until
   * the next `push` or `clear`.
   */
  locate(index: number, at: { bytes: Uint8Array; start: number; end: number }): void {
    const ref = this.refs[index]!;
    if (ref >= 0) {
      const bytes = this.dictionary.bytes[ref]!;
      at.bytes = bytes;
      at.start = 0;
      at.end = bytes.length;
      return;
    }
    const ordinal = this.blockOrdinals()[index]!;
    at.bytes = this.block;
    at.start = ordinal === 0 ? 0 : this.ends[ordinal - 1]!;
    at.end = this.ends[ordinal]!;
  }

  push(value: RowValue): number {
    const index = this.length++;
    if (this.ordinals) this.ordinals = undefined;
    if (index >= this.refs.length) this.refs = withRoom(this.refs, index + 1);
    if (value === null) {
      this.refs[index] = NULL_VALUE;
      return 4;
    }
    if (value instanceof Utf8Field) return this.pushBytes(index, value);
    const text = value as string;
    const id = this.dictionary.idOf(text);
    if (id >= 0) {
      this.refs[index] = id;
      return 4;
    }
    this.refs[index] = IN_BLOCK;
    return 8 + this.appendBytes(text);
  }

  private pushBytes(index: number, { bytes, start, end }: Utf8Field): number {
    const id = this.dictionary.idOfBytes(bytes, start, end);
    if (id >= 0) {
      this.refs[index] = id;
      return 4;
    }
    this.refs[index] = IN_BLOCK;
    const length = end - start;
    if (this.blockUsed + length > this.block.length) this.block = withRoom(this.block, this.blockUsed + length, this.blockUsed);
    // Byte by byte: values are short, and a subarray to copy from would be an object per value.
    const { block } = this;
    let at = this.blockUsed;
    for (let i = start; i < end; i++) block[at++] = bytes[i]!;
    this.blockUsed = at;
    if (this.inBlock >= this.ends.length) this.ends = withRoom(this.ends, this.inBlock + 1);
    this.ends[this.inBlock++] = this.blockUsed;
    return 8 + length;
  }

  /** Appends the UTF-8 bytes of `text` to the block; returns how many. */
  private appendBytes(text: string): number {
    const room = this.blockUsed + text.length * 3;
    if (room > this.block.length) this.block = withRoom(this.block, room, this.blockUsed);
    const written = encodeUtf8Into(text, this.block, this.blockUsed);
    this.blockUsed += written;
    if (this.inBlock >= this.ends.length) this.ends = withRoom(this.ends, this.inBlock + 1);
    this.ends[this.inBlock++] = this.blockUsed;
    return written;
  }

  take(): unknown[] {
    const { refs, block, ends } = this;
    const dictionary = this.dictionary.bytes;
    const out = new Array<unknown>(this.length);
    let nextInBlock = 0;
    let start = 0;
    for (let i = 0; i < out.length; i++) {
      const ref = refs[i]!;
      if (ref >= 0) out[i] = dictionary[ref];
      else if (ref === NULL_VALUE) out[i] = null;
      else {
        const end = ends[nextInBlock++]!;
        out[i] = block.subarray(start, end);
        start = end;
      }
    }
    this.clear();
    return out;
  }

  gather(rows: Int32Array, start: number, end: number): unknown[] {
    const { refs, block, ends } = this;
    const dictionary = this.dictionary.bytes;
    const ordinals = this.blockOrdinals();
    const out = new Array<unknown>(end - start);
    for (let k = start; k < end; k++) {
      const i = rows[k]!;
      const ref = refs[i]!;
      if (ref >= 0) out[k - start] = dictionary[ref];
      else if (ref === NULL_VALUE) out[k - start] = null;
      else {
        const ordinal = ordinals[i]!;
        out[k - start] = block.subarray(ordinal === 0 ? 0 : ends[ordinal - 1]!, ends[ordinal]!);
      }
    }
    return out;
  }

  clear(): void {
    this.length = 0;
    this.blockUsed = 0;
    this.inBlock = 0;
    this.ordinals = undefined;
  }

  /** For each row whose bytes are in the block, which of the block's values it is (worked out once per `gather`s). */
  private ordinals?: Int32Array;

  private blockOrdinals(): Int32Array {
    if (!this.ordinals) {
      const ordinals = new Int32Array(this.length);
      let next = 0;
      for (let i = 0; i < this.length; i++) if (this.refs[i] === IN_BLOCK) ordinals[i] = next++;
      this.ordinals = ordinals;
    }
    return this.ordinals;
  }
}

const NULL_VALUE = -1;
const IN_BLOCK = -2;

/** Anything else (decimals past 18 digits): the values themselves. */
class ValueBuffer implements ColumnBuffer {
  private values: unknown[] = [];

  get length(): number {
    return this.values.length;
  }

  push(value: RowValue): number {
    this.values.push(value);
    return 64;
  }

  take(): unknown[] {
    const out = this.values;
    this.values = [];
    return out;
  }

  gather(rows: Int32Array, start: number, end: number): unknown[] {
    const out = new Array<unknown>(end - start);
    for (let k = start; k < end; k++) out[k - start] = this.values[rows[k]!];
    return out;
  }

  clear(): void {
    this.values = [];
  }
}

/** Makes empty buffers for a column; one factory per column, shared by every partition (and its dictionary). */
export function columnBufferFactory(type: ColumnType): () => ColumnBuffer {
  switch (type.kind) {
    case 'string': {
      const dictionary = new StringDictionary();
      return () => new StringBuffer(dictionary);
    }
    case 'int':
    case 'date':
      return () => new NumericBuffer(new Int32Array(0));
    case 'double':
    case 'timestamp':
      return () => new NumericBuffer(new Float64Array(0));
    case 'boolean':
      return () => new NumericBuffer(new Uint8Array(0), true);
    case 'bigint':
      return () => new NumericBuffer(new BigInt64Array(0));
    case 'decimal':
      return type.precision <= 18 ? () => new NumericBuffer(new BigInt64Array(0)) : () => new ValueBuffer();
  }
}
