import type { ColumnType } from '../contract/column-type.js';
import type { ParseOptions } from '../contract/contract.js';
import { daysFromCivil } from './date-format.js';

/**
 * Casts of the plain forms read straight from a field's UTF-8 bytes: `[+-]digits` as int or bigint (up to 15 digits),
 * `[+-]digits[.digits]` as a decimal (up to 15 significant digits), `YYYY-MM-DD` as a date. Each is the character scan
 * of cast.ts on bytes (ASCII bytes are the characters' codes) and returns what cast.ts returns for such text; anything
 * else — whitespace to trim, a longer number, a failure — is DECLINED, and the caller casts the field's text with
 * cast.ts, which gives the exact value or the exact failure.
 */

export const DECLINED: unique symbol = Symbol('declined');
export type ByteCast = (bytes: Uint8Array, start: number, end: number) => number | bigint | typeof DECLINED;

/** The byte cast for a column, or undefined when its values always go through cast.ts. */
export function byteCastFor(type: ColumnType, parse: Partial<ParseOptions> = {}): ByteCast | undefined {
  switch (type.kind) {
    case 'int':
      return intFromBytes;
    case 'bigint':
      return bigintFromBytes;
    case 'decimal': {
      const { precision, scale } = type;
      return (bytes, start, end) => decimalFromBytes(bytes, start, end, precision, scale);
    }
    case 'date':
      return parse.format === undefined || parse.format === 'iso' ? dateFromBytes : undefined;
    default:
      return undefined;
  }
}

function intFromBytes(bytes: Uint8Array, start: number, end: number): number | typeof DECLINED {
  let i = start;
  const first = bytes[start];
  if (first === 45 || first === 43) i++;
  if (i === end) return DECLINED;
  let value = 0;
  for (; i < end; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return DECLINED;
    value = value * 10 + digit;
    if (value > 2147483648) return DECLINED;
  }
  if (first === 45) value = -value;
  return value >= -2147483648 && value <= 2147483647 ? value : DECLINED;
}

function bigintFromBytes(bytes: Uint8Array, start: number, end: number): bigint | typeof DECLINED {
  let i = start;
  const first = bytes[start];
  if (first === 45 || first === 43) i++;
  if (i === end) return DECLINED;
  let value = 0;
  let significant = 0;
  for (; i < end; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return DECLINED;
    if (significant > 0 || digit !== 0) significant++;
    value = value * 10 + digit;
  }
  return significant <= 15 ? BigInt(first === 45 ? -value : value) : DECLINED;
}

function decimalFromBytes(bytes: Uint8Array, start: number, end: number, precision: number, scale: number): bigint | typeof DECLINED {
  let i = start;
  const first = bytes[start];
  if (first === 45 || first === 43) i++;
  let value = 0;
  let significant = 0;
  let digitsSeen = false;
  for (; i < end; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) break;
    digitsSeen = true;
    if (significant > 0 || digit !== 0) significant++;
    value = value * 10 + digit;
  }
  let fractionDigits = 0;
  if (i < end && bytes[i] === 46) {
    const fractionStart = ++i;
    for (; i < end; i++) {
      const digit = bytes[i]! - 48;
      if (digit < 0 || digit > 9) return DECLINED;
      digitsSeen = true;
      if (digit !== 0) fractionDigits = i - fractionStart + 1;
    }
    if (fractionDigits > scale) return DECLINED;
    for (let f = fractionStart; f < fractionStart + fractionDigits; f++) {
      const digit = bytes[f]! - 48;
      if (significant > 0 || digit !== 0) significant++;
      value = value * 10 + digit;
    }
  }
  if (i < end || !digitsSeen) return DECLINED;
  if (significant > 0) significant += scale - fractionDigits;
  if (significant > precision || significant > 15) return DECLINED;
  const unscaled = value * 10 ** (scale - fractionDigits);
  return BigInt(first === 45 ? -unscaled : unscaled);
}

function dateFromBytes(bytes: Uint8Array, start: number, end: number): number | typeof DECLINED {
  if (end - start !== 10 || bytes[start + 4] !== 45 || bytes[start + 7] !== 45) return DECLINED;
  const year = digitsAt(bytes, start, 4);
  const month = digitsAt(bytes, start + 5, 2);
  const day = digitsAt(bytes, start + 8, 2);
  if (year < 0 || month < 0 || day < 0) return DECLINED;
  return daysFromCivil(year, month, day) ?? DECLINED;
}

function digitsAt(bytes: Uint8Array, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
