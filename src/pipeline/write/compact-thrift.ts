/**
 * Thrift's compact protocol (what Parquet's page headers and footers are), written straight into one growing buffer:
 * field headers as deltas, zigzag varints, no intermediate objects. Scalars take the Thrift type hyparquet-writer gives
 * their JS value (an integer number is an i32, a bigint an i64, …), so the bytes are the same as its generic writer's.
 */

export const STOP = 0;
export const TRUE = 1;
export const FALSE = 2;
export const I32 = 5;
export const I64 = 6;
export const DOUBLE = 7;
export const BINARY = 8;
export const LIST = 9;
export const STRUCT = 12;

export class CompactWriter {
  bytes = new Uint8Array(4096);
  at = 0;
  private view = new DataView(this.bytes.buffer);
  private last = 0;
  private readonly outer: number[] = [];

  reset(): void {
    this.at = 0;
    this.last = 0;
    this.outer.length = 0;
  }

  byte(value: number): void {
    if (this.at >= this.bytes.length) this.grow(1);
    this.bytes[this.at++] = value;
  }

  copy(bytes: Uint8Array): void {
    if (this.at + bytes.length > this.bytes.length) this.grow(bytes.length);
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }

  fieldHeader(fid: number, type: number): void {
    const delta = fid - this.last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag32(fid);
    }
    this.last = fid;
  }

  /** A field whose value's JS type gives its Thrift type; nothing for undefined. */
  field(fid: number, value: unknown): void {
    if (value === undefined) return;
    this.fieldHeader(fid, typeOf(value));
    this.scalar(value);
  }

  /**
   * An i64 field given as a number (an offset, a size, a count; an exact integer): the bytes a bigint of the same value
   * gets from `field`, without making one.
   */
  fieldI64(fid: number, value: number): void {
    this.fieldHeader(fid, I64);
    this.zigzagNumber(value);
  }

  /**
   * A binary field holding a number's little-endian bytes, as a Parquet min or max of a fixed-width type is: 1 byte
   * (a boolean), 4 (an int32), 8 (an int64, given as a bigint or an exact integer, or a double). The bytes
   * hyparquet-writer's `unconvertMinMax` makes for the value, without the three objects it makes to hold them.
   */
  fieldFixed(fid: number, width: 'byte' | 'int32' | 'int64' | 'double', value: number | bigint): void {
    const length = width === 'byte' ? 1 : width === 'int32' ? 4 : 8;
    this.fieldHeader(fid, BINARY);
    this.varint(length);
    if (this.at + length > this.bytes.length) this.grow(length);
    if (this.view.buffer !== this.bytes.buffer) this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset);
    if (width === 'byte') this.view.setUint8(this.at, Number(value));
    else if (width === 'int32') this.view.setInt32(this.at, Number(value), true);
    else if (width === 'double') this.view.setFloat64(this.at, Number(value), true);
    else if (typeof value === 'bigint') this.view.setBigInt64(this.at, value, true);
    else {
      if (!Number.isSafeInteger(value)) throw new Error(`Parquet footer: ${value} is not an exact int64 here`);
      const high = Math.floor(value / 4294967296);
      this.view.setUint32(this.at, value - high * 4294967296, true);
      this.view.setInt32(this.at + 4, high, true);
    }
    this.at += length;
  }

  /** A scalar value: a list element, or a field's value after its header. Booleans live in the header. */
  scalar(value: unknown): void {
    if (typeof value === 'number') {
      if (Number.isInteger(value)) this.zigzag32(value);
      else this.double(value);
    } else if (typeof value === 'bigint') this.zigzag64(value);
    else if (typeof value === 'string') this.binary(utf8Of(value));
    else if (value instanceof Uint8Array) this.binary(value);
    else if (typeof value !== 'boolean') throw new Error(`Parquet footer: cannot write ${String(value)} as a Thrift scalar`);
  }

  listField(fid: number, elementType: number, length: number): void {
    this.fieldHeader(fid, LIST);
    if (length > 14) {
      this.byte(0xf0 | elementType);
      this.varint(length);
    } else this.byte((length << 4) | elementType);
  }

  beginStruct(fid: number): void {
    this.fieldHeader(fid, STRUCT);
    this.beginElement();
  }

  endStruct(): void {
    this.endElement();
  }

  /** A struct as a list element: its fields count from 0 again. */
  beginElement(): void {
    this.outer.push(this.last);
    this.last = 0;
  }

  endElement(): void {
    this.byte(STOP);
    this.last = this.outer.pop()!;
  }

  private binary(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.copy(bytes);
  }

  /** Unsigned 32-bit varint. */
  private varint(value: number): void {
    while ((value & ~0x7f) !== 0) {
      this.byte((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    this.byte(value);
  }

  private zigzag32(value: number): void {
    this.varint((value << 1) ^ (value >> 31));
  }

  private zigzag64(value: bigint): void {
    if (value > -SAFE && value < SAFE) {
      this.zigzagNumber(Number(value));
      return;
    }
    let zigzag = (value << 1n) ^ (value >> 63n);
    while ((zigzag & ~0x7fn) !== 0n) {
      this.byte(Number((zigzag & 0x7fn) | 0x80n));
      zigzag >>= 7n;
    }
    this.byte(Number(zigzag));
  }

  /** An integer in the exact range of a double (|value| < 2^52), zigzagged with no bigint arithmetic: the same bytes. */
  private zigzagNumber(value: number): void {
    if (!(value > -SAFE_NUMBER && value < SAFE_NUMBER) || !Number.isInteger(value)) throw new Error(`Parquet footer: ${value} is not an exact i64 here`);
    let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
    while (zigzag >= 0x80) {
      this.byte((zigzag % 0x80) | 0x80);
      zigzag = Math.floor(zigzag / 0x80);
    }
    this.byte(zigzag);
  }

  private double(value: number): void {
    if (this.at + 8 > this.bytes.length) this.grow(8);
    new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 8).setFloat64(0, value, true);
    this.at += 8;
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.at + needed));
    next.set(this.bytes.subarray(0, this.at));
    this.bytes = next;
  }
}

/** 2^52: zigzag doubles it, and the result stays an exact integer in a double. */
const SAFE = 2n ** 52n;
const SAFE_NUMBER = 2 ** 52;

/** The Thrift type hyparquet-writer gives a JS value. */
function typeOf(value: unknown): number {
  if (value === true) return TRUE;
  if (value === false) return FALSE;
  if (typeof value === 'number') return Number.isInteger(value) ? I32 : DOUBLE;
  if (typeof value === 'bigint') return I64;
  if (typeof value === 'string' || value instanceof Uint8Array) return BINARY;
  throw new Error(`Parquet footer: cannot write ${String(value)} as a Thrift scalar`);
}

const encoder = new TextEncoder();
const utf8Cache = new Map<string, Uint8Array>();

/** UTF-8 of a column name or the writer's name: a handful of strings, the same in every file. */
function utf8Of(text: string): Uint8Array {
  let bytes = utf8Cache.get(text);
  if (!bytes) {
    bytes = encoder.encode(text);
    if (utf8Cache.size < 4096) utf8Cache.set(text, bytes);
  }
  return bytes;
}

