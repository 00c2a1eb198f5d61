import type { ParseOptions } from './contract.js';
import { compileDatePattern, instantOf, utcMillis } from './date-format.js';
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

/** The caster for a column: its type, read with the column's parse options (formats, time zone, tokens). */
export function casterFor(type: ColumnType, parse: Partial<ParseOptions> = {}): Caster {
  switch (type.kind) {
    case 'string':
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
  const millis = utcMillis({ year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), hour: 0, minute: 0, second: 0, millisecond: 0 });
  return millis === undefined ? CAST_FAILED : millis / MS_PER_DAY;
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
