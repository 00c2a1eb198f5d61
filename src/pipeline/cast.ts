import type { ColumnType } from './types.js';

/**
 * Casting text to a declared type. Each caster returns the typed value, or `CAST_FAILED`; `describeType` says what
 * was expected, for the quarantine message. Typed values are what the Parquet writer takes:
 * int → number, bigint → bigint, double → number, decimal → unscaled bigint, boolean → boolean,
 * date → days since 1970-01-01, timestamp → milliseconds since the epoch, UTC.
 */

export const CAST_FAILED: unique symbol = Symbol('cast failed');
export type TypedValue = string | number | bigint | boolean;
export type Caster = (text: string) => TypedValue | typeof CAST_FAILED;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const TRUE_TOKENS = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_TOKENS = new Set(['false', 'f', 'no', 'n', '0']);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;

export function casterFor(type: ColumnType): Caster {
  switch (type.kind) {
    case 'string':
      return (text) => text;
    case 'int':
      return castInt;
    case 'bigint':
      return castBigint;
    case 'double':
      return castDouble;
    case 'decimal':
      return (text) => castDecimal(text, type.precision, type.scale);
    case 'boolean':
      return castBoolean;
    case 'date':
      return castDate;
    case 'timestamp':
      return castTimestamp;
  }
}

export function describeType(type: ColumnType): string {
  switch (type.kind) {
    case 'int':
      return 'an integer between -2147483648 and 2147483647';
    case 'bigint':
      return 'a 64-bit integer';
    case 'double':
      return 'a number';
    case 'decimal':
      return `a decimal with at most ${type.precision - type.scale} integer and ${type.scale} fractional digits`;
    case 'boolean':
      return 'a boolean (true/false, yes/no, 1/0)';
    case 'date':
      return 'a date YYYY-MM-DD';
    case 'timestamp':
      return 'an ISO 8601 timestamp (YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|±HH:MM])';
    case 'string':
      return 'text';
  }
}

function castInt(text: string) {
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) return CAST_FAILED;
  const value = Number(trimmed);
  return value >= INT32_MIN && value <= INT32_MAX ? value : CAST_FAILED;
}

function castBigint(text: string) {
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) return CAST_FAILED;
  const value = BigInt(trimmed);
  return value >= INT64_MIN && value <= INT64_MAX ? value : CAST_FAILED;
}

function castDouble(text: string) {
  const trimmed = text.trim();
  return FLOAT.test(trimmed) ? Number(trimmed) : CAST_FAILED;
}

/** Exact: `12345678901234.56` as decimal(16,2) is 1234567890123456n. Extra non-zero fractional digits fail, never round. */
export function castDecimal(text: string, precision: number, scale: number): bigint | typeof CAST_FAILED {
  const match = DECIMAL.exec(text.trim());
  if (!match) return CAST_FAILED;
  const [, sign, whole = '', rawFraction = ''] = match;
  if (whole === '' && rawFraction === '') return CAST_FAILED;
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > scale) return CAST_FAILED;
  const digits = (whole.replace(/^0+/, '') + fraction.padEnd(scale, '0')).replace(/^0+/, '');
  if (digits.length > precision) return CAST_FAILED;
  const unscaled = BigInt(digits || '0');
  return sign === '-' ? -unscaled : unscaled;
}

function castBoolean(text: string) {
  const token = text.trim().toLowerCase();
  if (TRUE_TOKENS.has(token)) return true;
  if (FALSE_TOKENS.has(token)) return false;
  return CAST_FAILED;
}

function castDate(text: string) {
  const match = DATE.exec(text.trim());
  if (!match) return CAST_FAILED;
  const millis = utcMillis(Number(match[1]), Number(match[2]), Number(match[3]), 0, 0, 0, 0);
  return millis === undefined ? CAST_FAILED : millis / MS_PER_DAY;
}

function castTimestamp(text: string) {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return CAST_FAILED;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const millis = utcMillis(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), Number(fraction.slice(0, 3).padEnd(3, '0')));
  if (millis === undefined) return CAST_FAILED;
  return millis - zoneOffsetMinutes(zone) * 60_000;
}

/** Milliseconds since the epoch for a calendar instant, or undefined when any part is out of range (Feb 30, 25:00). */
function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getUTCDate() === d && date.getUTCMonth() === mo - 1 ? date.getTime() : undefined;
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}
