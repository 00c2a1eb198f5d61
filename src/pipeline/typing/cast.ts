import type { ParseOptions } from '../contract/contract.js';
import { compileDatePattern, daysFromCivil, instantOf, utcMillis } from './date-format.js';
import type { ColumnType } from '../contract/column-type.js';

/**
 * Casting text to a declared type. Each caster returns the typed value, or `CAST_FAILED`; `describeType` says what
 * was expected, for the quarantine message. Typed values are what the Parquet writer takes:
 * int → number, bigint → bigint, double → number, decimal → unscaled bigint, boolean → boolean,
 * date → days since 1970-01-01, timestamp → milliseconds since the epoch, UTC.
 */

export const CAST_FAILED: unique symbol = Symbol('cast failed');
export type TypedValue = string | number | bigint | boolean;
export type Caster = (text: string) => TypedValue | typeof CAST_FAILED;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const TRUE_TOKENS = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_TOKENS = new Set(['false', 'f', 'no', 'n', '0']);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;

/** The caster for a column: its type, read with the column's parse options (formats, time zone, tokens). */
export function casterFor(type: ColumnType, parse: Partial<ParseOptions> = {}): Caster {
  switch (type.kind) {
    case 'string':
      if (type.json) return castJson;
      return parse.trim ? (text) => text.trim() : (text) => text;
    case 'int':
      return castInt;
    case 'bigint':
      return castBigint;
    case 'double':
      return castDouble;
    case 'decimal':
      return (text) => castDecimal(text, type.precision, type.scale);
    case 'boolean':
      return parse.trueValues || parse.falseValues ? booleanCaster(parse.trueValues ?? [], parse.falseValues ?? []) : castBoolean;
    case 'date':
      return dateCaster(parse.format);
    case 'timestamp':
      return timestampCaster(parse.format, parse.timezone);
  }
}

function booleanCaster(trueValues: string[], falseValues: string[]): Caster {
  const yes = new Set(trueValues.map((t) => t.toLowerCase()));
  const no = new Set(falseValues.map((t) => t.toLowerCase()));
  return (text) => {
    const token = text.trim().toLowerCase();
    return yes.has(token) ? true : no.has(token) ? false : CAST_FAILED;
  };
}

const EPOCH = /^[+-]?\d+(?:\.\d+)?$/;

function epochMillis(text: string, format: 'epoch_s' | 'epoch_ms'): number | typeof CAST_FAILED {
  const trimmed = text.trim();
  if (!EPOCH.test(trimmed)) return CAST_FAILED;
  const millis = Math.round(Number(trimmed) * (format === 'epoch_s' ? 1000 : 1));
  return Number.isSafeInteger(millis) && Math.abs(millis) <= 8.64e15 ? millis : CAST_FAILED;
}

function dateCaster(format = 'iso'): Caster {
  if (format === 'iso') return castDate;
  if (format === 'epoch_s' || format === 'epoch_ms') {
    return (text) => {
      const millis = epochMillis(text, format);
      return millis === CAST_FAILED ? CAST_FAILED : Math.floor(millis / MS_PER_DAY);
    };
  }
  const parse = compileDatePattern(format);
  return (text) => {
    const time = parse(text.trim());
    const millis = time && utcMillis({ ...time, hour: 0, minute: 0, second: 0, millisecond: 0 });
    return millis === undefined ? CAST_FAILED : millis / MS_PER_DAY;
  };
}

function timestampCaster(format = 'iso', timeZone = 'UTC'): Caster {
  if (format === 'epoch_s' || format === 'epoch_ms') return (text) => epochMillis(text, format);
  if (format === 'iso') return (text) => castTimestamp(text, timeZone);
  const parse = compileDatePattern(format);
  return (text) => {
    const time = parse(text.trim());
    const millis = time && instantOf(time, timeZone);
    return millis === undefined ? CAST_FAILED : millis;
  };
}

export function describeType(type: ColumnType, parse: Partial<ParseOptions> = {}): string {
  if ((type.kind === 'date' || type.kind === 'timestamp') && parse.format && parse.format !== 'iso') {
    return `a ${type.kind} in format ${parse.format}`;
  }
  if (type.kind === 'boolean' && (parse.trueValues || parse.falseValues)) {
    return `a boolean (${[...(parse.trueValues ?? []), ...(parse.falseValues ?? [])].join('/')})`;
  }
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
      return type.json ? 'JSON text' : 'text';
  }
}

/** A `json` column holds JSON text: checked, kept as written (JSON.parse never recurses, so depth cannot crash it). */
function castJson(text: string) {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return CAST_FAILED;
  }
}

/** `text` without surrounding whitespace; the common case (nothing to trim) allocates nothing. */
function trimmed(text: string): string {
  const n = text.length;
  if (n === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(n - 1);
  return first <= 32 || first >= 0x80 || last <= 32 || last >= 0x80 ? text.trim() : text;
}

/** [+-]?digits, as a number, or NaN; integers beyond 2^53 are not exact, so callers bound the length first. */
function castInt(text: string) {
  const t = trimmed(text);
  const n = t.length;
  let i = 0;
  const first = t.charCodeAt(0);
  if (first === 45 || first === 43) i = 1;
  if (i === n) return CAST_FAILED;
  let value = 0;
  for (; i < n; i++) {
    const digit = t.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return CAST_FAILED;
    value = value * 10 + digit;
    if (value > 2147483648) return CAST_FAILED; // out of range, or not a number at all: a failure either way
  }
  if (first === 45) value = -value;
  return value >= INT32_MIN && value <= INT32_MAX ? value : CAST_FAILED;
}

function castBigint(text: string) {
  const t = trimmed(text);
  const n = t.length;
  let i = 0;
  const first = t.charCodeAt(0);
  if (first === 45 || first === 43) i = 1;
  if (i === n) return CAST_FAILED;
  let value = 0;
  let significant = 0;
  for (; i < n; i++) {
    const digit = t.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return CAST_FAILED;
    if (significant > 0 || digit !== 0) significant++;
    value = value * 10 + digit;
  }
  // Up to 15 digits the number is exact; beyond, BigInt reads the text.
  if (significant <= 15) return BigInt(first === 45 ? -value : value);
  const big = BigInt(t);
  return big >= INT64_MIN && big <= INT64_MAX ? big : CAST_FAILED;
}

function castDouble(text: string) {
  const trimmed = text.trim();
  return FLOAT.test(trimmed) ? Number(trimmed) : CAST_FAILED;
}

/** Exact: `12345678901234.56` as decimal(16,2) is 1234567890123456n. Extra non-zero fractional digits fail, never round. */
export function castDecimal(text: string, precision: number, scale: number): bigint | typeof CAST_FAILED {
  // [+-]?digits[.digits], scanned once; the unscaled value is built in a number while it is exact (≤ 15 digits).
  const t = trimmed(text);
  const n = t.length;
  let i = 0;
  const first = t.charCodeAt(0);
  if (first === 45 || first === 43) i = 1;
  let value = 0;
  let significant = 0;
  let digitsSeen = false;
  for (; i < n; i++) {
    const digit = t.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    digitsSeen = true;
    if (significant > 0 || digit !== 0) significant++;
    value = value * 10 + digit;
  }
  let fractionDigits = 0; // up to the last non-zero one
  if (i < n && t.charCodeAt(i) === 46) {
    const start = ++i;
    for (; i < n; i++) {
      const digit = t.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return CAST_FAILED;
      digitsSeen = true;
      if (digit !== 0) fractionDigits = i - start + 1;
    }
    if (fractionDigits > scale) return CAST_FAILED;
    for (let f = start; f < start + fractionDigits; f++) {
      const digit = t.charCodeAt(f) - 48;
      if (significant > 0 || digit !== 0) significant++;
      value = value * 10 + digit;
    }
  }
  if (i < n || !digitsSeen) return CAST_FAILED;
  if (significant > 0) significant += scale - fractionDigits;
  if (significant > precision) return CAST_FAILED;
  if (significant <= 15) {
    const unscaled = value * 10 ** (scale - fractionDigits);
    return BigInt(first === 45 ? -unscaled : unscaled);
  }
  return castDecimalText(t, scale);
}

/** The unscaled value of a decimal already checked by castDecimal, from its text (more digits than a number holds). */
function castDecimalText(t: string, scale: number): bigint {
  const match = DECIMAL.exec(t)!;
  const [, sign, whole = '', rawFraction = ''] = match;
  const fraction = rawFraction.replace(/0+$/, '');
  const unscaled = BigInt((whole + fraction.padEnd(scale, '0')).replace(/^0+/, '') || '0');
  return sign === '-' ? -unscaled : unscaled;
}

function castBoolean(text: string) {
  const token = text.trim().toLowerCase();
  if (TRUE_TOKENS.has(token)) return true;
  if (FALSE_TOKENS.has(token)) return false;
  return CAST_FAILED;
}

/** YYYY-MM-DD as days since 1970-01-01, calendar-checked (Feb 30 fails), without a Date. */
function castDate(text: string) {
  const t = trimmed(text);
  if (t.length !== 10 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45) return CAST_FAILED;
  const year = digitsAt(t, 0, 4);
  const month = digitsAt(t, 5, 2);
  const day = digitsAt(t, 8, 2);
  if (year < 0 || month < 0 || day < 0) return CAST_FAILED;
  const days = daysFromCivil(year, month, day);
  return days === undefined ? CAST_FAILED : days;
}

/** The number written by `length` ASCII digits at `start`, or -1. */
function digitsAt(t: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = t.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function castTimestamp(text: string, timeZone = 'UTC') {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return CAST_FAILED;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const millis = instantOf(
    {
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour: Number(h),
      minute: Number(mi),
      second: Number(s),
      millisecond: Number(fraction.slice(0, 3).padEnd(3, '0')),
      offsetMinutes: zone === undefined ? undefined : zoneOffsetMinutes(zone),
    },
    timeZone,
  );
  return millis === undefined ? CAST_FAILED : millis;
}

function zoneOffsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}
