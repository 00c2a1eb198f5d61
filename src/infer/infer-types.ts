import type { PartitionLayout } from '../pipeline/contract/contract.js';
import { CAST_FAILED, casterFor, type Caster } from '../pipeline/typing/cast.js';
import { readCsvRecords } from '../pipeline/read/csv.js';
import { InputFileError } from '../pipeline/contract/errors.js';
import { isIdentifier, toSnakeCase } from '../pipeline/contract/names.js';
import { comparable } from '../pipeline/typing/typed-row.js';
import type { ColumnType } from '../pipeline/contract/column-type.js';
import { SampleSource } from './sample-source.js';
import type { Dialect } from './sniff.js';

/**
 * What a contract should say about a CSV, guessed from a sample of its rows (the first 10,000 by default, streamed:
 * the rest of the file is never read). Every guess is checked with the pipeline's own casters, so a value the sample
 * holds can never be read differently by `infer` and by `ingest`.
 */

export interface InferOptions {
  /** Named in error messages. */
  fileName: string;
  dialect: Pick<Dialect, 'delimiter' | 'quote'>;
  /** Data rows to look at (default 10,000). */
  sampleRows?: number;
}

export interface ColumnGuess {
  /** The header as in the file (trimmed, as the pipeline matches it). */
  header: string;
  name: string;
  type: ColumnType;
  /** date / timestamp format (`iso`, `epoch_s`, `epoch_ms` or a pattern). */
  format?: string;
  /** Other formats every sampled value also fits (e.g. d/M/yyyy beside M/d/yyyy): worth a look. */
  alsoFits: string[];
  trueValues?: string[];
  falseValues?: string[];
  /** Tokens besides the empty field read as null, as seen in the sample. */
  nullTokens: string[];
  required: boolean;
  /** Non-null values in the sample. */
  values: number;
  /** Null values (empty or a null token) in the sample. */
  nulls: number;
  example?: string;
  /** Null-like tokens (NA, -) kept as text because the column is text. */
  keptAsText: string[];
}

export interface PartitionGuess {
  column: string;
  layout: PartitionLayout;
  why: string;
}

export interface TableGuess {
  header: string[];
  columns: ColumnGuess[];
  /** Data rows used (rows whose field count matches the header). */
  rowsSampled: number;
  /** The sample is the whole file. */
  wholeFile: boolean;
  /** Sampled rows with more or fewer fields than the header: not used; ingest quarantines them. */
  raggedRows: number;
  primaryKey: string[];
  partition: PartitionGuess;
}

export const DEFAULT_SAMPLE_ROWS = 10_000;

/** Tokens that commonly mean "no value" in exports. The empty field always does. */
const NULL_CANDIDATES = new Set(['NA', 'N/A', 'n/a', 'na', 'NULL', 'null', 'Null', 'None', 'none', 'nil', '-', '--', '#N/A', 'NaN', 'nan']);

/** Pairs of boolean tokens, as the default caster and `true_values` / `false_values` read them (case-insensitive). */
const BOOLEAN_PAIRS: Array<[string, string]> = [
  ['true', 'false'],
  ['t', 'f'],
  ['yes', 'no'],
  ['y', 'n'],
  ['on', 'off'],
];

const DATE_FORMATS = [
  'iso',
  'yyyy/MM/dd',
  'yyyy/M/d',
  'MM/dd/yyyy',
  'M/d/yyyy',
  'dd/MM/yyyy',
  'd/M/yyyy',
  'dd.MM.yyyy',
  'd.M.yyyy',
  'dd-MM-yyyy',
  'MMM d yyyy',
  'MMM d, yyyy',
  'd MMM yyyy',
  'dd-MMM-yyyy',
  'd-MMM-yyyy',
  'MM/dd/yy',
  'M/d/yy',
  'dd.MM.yy',
];

const TIMESTAMP_FORMATS = [
  'iso',
  'yyyy/MM/dd HH:mm:ss',
  'yyyy/MM/dd HH:mm',
  'MM/dd/yyyy HH:mm:ss',
  'MM/dd/yyyy HH:mm',
  'M/d/yyyy H:mm:ss',
  'M/d/yyyy H:mm',
  'M/d/yyyy h:mm:ss a',
  'M/d/yyyy h:mm a',
  'dd/MM/yyyy HH:mm:ss',
  'dd/MM/yyyy HH:mm',
  'd/M/yyyy H:mm',
  'dd.MM.yyyy HH:mm:ss',
  'dd.MM.yyyy HH:mm',
  'd.M.yyyy H:mm',
  'MMM d yyyy HH:mm:ss',
  'MMM d yyyy h:mm a',
  'MMM d, yyyy h:mm a',
  'd MMM yyyy HH:mm:ss',
  'd MMM yyyy HH:mm',
];

/** Formats that mean the same thing on different dates, never worth reporting as an alternative. */
const SAME_READING: Record<string, string> = { 'MM/dd/yyyy': 'M/d/yyyy', 'dd/MM/yyyy': 'd/M/yyyy', 'dd.MM.yyyy': 'd.M.yyyy' };

/** Headers naming a point in time: only they may read integers as epoch seconds or milliseconds. */
const TIME_HEADER = /(^|_)(date|time|timestamp|datetime|ts|epoch)(_|$)|_(at|on)$|^(created|updated|modified|deleted)(_|$)/;
const DATE_HEADER = /(^|_)(date|day|dt)(_|$)/;
/** 1980-01-01 to 2100-01-01: integers outside are not taken for epoch times. */
const EPOCH_S = [315_532_800, 4_102_444_800] as const;
const EPOCH_MS = [EPOCH_S[0] * 1000, EPOCH_S[1] * 1000] as const;

const INTEGER = /^([+-]?)(\d+)$/;
const LEADING_ZERO = /^[+-]?0\d/;
const PLAIN_DECIMAL = /^[+-]?(\d*)\.(\d*)$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
/** Above this many distinct days a daily partition makes too many small files; months instead. */
const MAX_DAILY_PARTITIONS = 1000;

export async function inferTable(bytes: AsyncIterable<Uint8Array>, options: InferOptions): Promise<TableGuess> {
  const limit = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  const { header, rows, raggedRows, wholeFile } = await sampleRows(bytes, options, limit);
  const names = columnNames(header);
  const columns = header.map((h, index) => guessColumn(h, names[index]!, rows.map((r) => r[index]!)));
  return {
    header,
    columns,
    rowsSampled: rows.length,
    wholeFile,
    raggedRows,
    primaryKey: guessPrimaryKey(columns, rows),
    partition: guessPartition(columns, rows),
  };
}

interface Sample {
  header: string[];
  rows: string[][];
  raggedRows: number;
  wholeFile: boolean;
}

/** The header and up to `limit` data rows; a record cut where the sample's source stopped is never looked at. */
async function sampleRows(bytes: AsyncIterable<Uint8Array>, options: InferOptions, limit: number): Promise<Sample> {
  let header: string[] | undefined;
  const rows: string[][] = [];
  let raggedRows = 0;
  const source = new SampleSource(bytes);
  try {
    for await (const batch of readCsvRecords(source.chunks(), { fileName: options.fileName, ...options.dialect })) {
      for (const record of batch) {
        if (!header) header = checkedHeader(record.fields, options.fileName);
        else if (source.full) source.passedOver();
        else if (record.fields.length !== header.length) raggedRows++;
        else rows.push(record.fields);
        if (rows.length >= limit) source.full = true;
      }
    }
  } catch (error) {
    // The stream was cut after the sample filled up: an unclosed quote or a split character there is not the file's.
    if (!source.full || !(error instanceof InputFileError)) throw error;
  }
  if (!header) throw new InputFileError(`${options.fileName}: file is empty; a header row is required`);
  return { header, rows, raggedRows, wholeFile: source.wholeFile };
}

/** The header as the pipeline will read it; a header it would refuse is refused here, with the same words. */
function checkedHeader(fields: string[], fileName: string): string[] {
  const header = fields.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((name, index) => {
    if (name === '') throw new InputFileError(`${fileName}: header column ${index + 1} is empty; a header row is required`);
    if (seen.has(name)) throw new InputFileError(`${fileName}: header "${name}" appears twice (columns ${seen.get(name)! + 1} and ${index + 1})`);
    seen.set(name, index);
  });
  return header;
}

/** snake_case names, unique: `Cost Total $` → cost_total; a header with no letters or digits → column_<n>. */
export function columnNames(header: string[]): string[] {
  const used = new Set<string>();
  return header.map((h, index) => {
    let base = toSnakeCase(h).slice(0, 200).replace(/_+$/, '');
    if (!isIdentifier(base)) base = `column_${index + 1}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

export function guessColumn(header: string, name: string, texts: string[]): ColumnGuess {
  const values: string[] = [];
  const tokens = new Map<string, number>();
  let empty = 0;
  for (const text of texts) {
    const trimmed = text.trim();
    if (trimmed === '') empty++;
    else if (NULL_CANDIDATES.has(trimmed)) tokens.set(trimmed, (tokens.get(trimmed) ?? 0) + 1);
    else values.push(text);
  }
  const typed = guessType(name, values);
  const base = { header, name, alsoFits: [], example: values[0] ?? [...tokens.keys()][0] };
  if (typed.type.kind === 'string' || !verified(typed, values)) {
    // Text keeps every value as it is, null-like tokens included: nothing read is turned into a null unasked.
    const tokenCount = [...tokens.values()].reduce((a, b) => a + b, 0);
    return {
      ...base,
      type: { kind: 'string' },
      nullTokens: [],
      required: texts.length > 0 && empty === 0,
      values: values.length + tokenCount,
      nulls: empty,
      keptAsText: [...tokens.keys()],
    };
  }
  return {
    ...base,
    ...typed,
    alsoFits: typed.alsoFits ?? [],
    nullTokens: [...tokens.keys()],
    required: texts.length > 0 && values.length === texts.length,
    values: values.length,
    nulls: texts.length - values.length,
    keptAsText: [],
  };
}

type TypeGuess = Pick<ColumnGuess, 'type' | 'format' | 'trueValues' | 'falseValues'> & { alsoFits?: string[] };

/** The narrowest type every value fits. */
function guessType(name: string, values: string[]): TypeGuess {
  const string: TypeGuess = { type: { kind: 'string' } };
  if (values.length === 0) return string;
  const trimmed = values.map((v) => v.trim());
  // A leading zero (`08123`, `007`) means a code, not a number: numeric types would drop it.
  const numeric = !trimmed.some((v) => LEADING_ZERO.test(v));
  return (
    guessBoolean(trimmed) ??
    (numeric ? guessInteger(name, trimmed) : undefined) ??
    (numeric ? guessDecimal(trimmed) : undefined) ??
    (numeric && trimmed.every((v) => FLOAT.test(v)) ? { type: { kind: 'double' } } : undefined) ??
    guessTemporal(trimmed) ??
    string
  );
}

function guessBoolean(values: string[]): TypeGuess | undefined {
  const seen = new Set(values.map((v) => v.toLowerCase()));
  const pairs = BOOLEAN_PAIRS.filter(([yes, no]) => seen.has(yes) || seen.has(no));
  const known = new Set(pairs.flat());
  if (pairs.length === 0 || [...seen].some((token) => !known.has(token))) return undefined;
  if (pairs.length === 1 && pairs[0]![0] === 'true') return { type: { kind: 'boolean' } };
  // Spelled out as seen (Y / N), so the contract says what the file uses.
  const spelling = new Map<string, string>();
  for (const value of values) if (!spelling.has(value.toLowerCase())) spelling.set(value.toLowerCase(), value);
  const spell = (token: string, partner: string) => {
    const seenAs = spelling.get(token) ?? spelling.get(partner)!;
    return seenAs === seenAs.toUpperCase() ? token.toUpperCase() : seenAs === seenAs.toLowerCase() ? token : token[0]!.toUpperCase() + token.slice(1);
  };
  return {
    type: { kind: 'boolean' },
    trueValues: pairs.map(([yes, no]) => spell(yes, no)),
    falseValues: pairs.map(([yes, no]) => spell(no, yes)),
  };
}

/**
 * Integers: int, bigint, or wider as decimal(p,0). Under a header that names a time, integers in a plausible range are
 * epoch seconds or milliseconds, and 8-digit ones under a date header are yyyyMMdd.
 */
function guessInteger(name: string, values: string[]): TypeGuess | undefined {
  let digits = 0;
  for (const value of values) {
    const match = INTEGER.exec(value);
    if (!match) return undefined;
    digits = Math.max(digits, match[2]!.length);
  }
  if (TIME_HEADER.test(name) || DATE_HEADER.test(name)) {
    const numbers = values.map(Number);
    const within = ([min, max]: readonly [number, number]) => numbers.every((n) => n >= min && n < max);
    if (within(EPOCH_S)) return { type: { kind: 'timestamp' }, format: 'epoch_s' };
    if (within(EPOCH_MS)) return { type: { kind: 'timestamp' }, format: 'epoch_ms' };
    const compact = firstFitting([{ kind: 'date' }], ['yyyyMMdd'], values);
    if (compact) return compact;
  }
  if (digits <= 9 || values.every((v) => Number(v) >= INT32[0] && Number(v) <= INT32[1])) return { type: { kind: 'int' } };
  if (digits <= 18 || values.every((v) => BigInt(v) >= INT64[0] && BigInt(v) <= INT64[1])) return { type: { kind: 'bigint' } };
  if (digits <= 36) return { type: { kind: 'decimal', precision: Math.min(38, digits + 2), scale: 0 } };
  return undefined;
}

/**
 * Numbers with a decimal point and no exponent: an exact decimal(p,s) with s the most fractional digits seen and two
 * digits of headroom above the widest integer part, up to 38 digits; wider than that, a double.
 */
function guessDecimal(values: string[]): TypeGuess | undefined {
  let whole = 0;
  let scale = 0;
  let points = 0;
  for (const value of values) {
    const integer = INTEGER.exec(value);
    const decimal = integer ? undefined : PLAIN_DECIMAL.exec(value);
    const [intPart, fraction] = integer ? [integer[2]!, ''] : decimal ? [decimal[1]!, decimal[2]!] : [undefined, ''];
    if (intPart === undefined || (intPart === '' && fraction === '')) return undefined;
    if (decimal) points++;
    whole = Math.max(whole, intPart.replace(/^0+/, '').length);
    scale = Math.max(scale, fraction.length);
  }
  if (points === 0) return undefined;
  if (whole + scale > 38) return { type: { kind: 'double' } };
  const precision = Math.max(1, Math.min(38, whole + scale + 2));
  return { type: { kind: 'decimal', precision, scale } };
}

/** Dates before timestamps: a column of `2024-03-05` is a date, one that also holds times is a timestamp. */
function guessTemporal(values: string[]): TypeGuess | undefined {
  return firstFitting([{ kind: 'date' }], DATE_FORMATS, values) ?? firstFitting([{ kind: 'timestamp' }], TIMESTAMP_FORMATS, values);
}

/** The first format every value casts with (the project's own caster decides), and the others that also fit. */
function firstFitting(types: ColumnType[], formats: string[], values: string[]): TypeGuess | undefined {
  for (const type of types) {
    let candidates = formats.map((format) => ({ format, cast: casterFor(type, { format }) }));
    for (const value of values) {
      candidates = candidates.filter((c) => c.cast(value) !== CAST_FAILED);
      if (candidates.length === 0) break;
    }
    if (candidates.length === 0) continue;
    const [chosen, ...others] = candidates;
    const alsoFits = others
      .map((c) => c.format)
      .filter((f) => SAME_READING[chosen!.format] !== f && SAME_READING[f] !== chosen!.format && !sameReading(chosen!.format, f, type, values));
    return { type, format: chosen!.format, alsoFits };
  }
  return undefined;
}

/** Two formats read every sampled value as the same instant (M/d/yyyy and MM/dd/yyyy on padded values). */
function sameReading(a: string, b: string, type: ColumnType, values: string[]): boolean {
  const castA = casterFor(type, { format: a });
  const castB = casterFor(type, { format: b });
  return values.every((v) => castA(v) === castB(v));
}

/** Every sampled value casts under the guess, with the caster ingest will use. */
function verified(guess: TypeGuess, values: string[]): boolean {
  const cast = casterFor(guess.type, { format: guess.format, trueValues: guess.trueValues, falseValues: guess.falseValues });
  return values.every((v) => cast(v) !== CAST_FAILED);
}

function casterOf(column: ColumnGuess): Caster {
  return casterFor(column.type, { format: column.format, trueValues: column.trueValues, falseValues: column.falseValues });
}

const KEY_KINDS = new Set(['string', 'int', 'bigint', 'date', 'timestamp']);
const ID_NAME = /(^|_)(id|key|uuid|guid|number|num|no|nr)$/;

/**
 * A key that is unique in the sample: one column, else the smallest pair, only among required text, integer and
 * (in a pair) date or time columns; names like *_id first, then the leftmost. None for a sample of fewer than 2 rows.
 */
export function guessPrimaryKey(columns: ColumnGuess[], rows: string[][]): string[] {
  if (rows.length < 2) return [];
  const eligible = columns.map((c, index) => ({ c, index })).filter(({ c }) => c.required && KEY_KINDS.has(c.type.kind));
  const keys = new Map<number, string[]>();
  for (const { c, index } of eligible) {
    const cast = casterOf(c);
    keys.set(index, rows.map((r) => comparable(cast(r[index]!) as never)));
  }
  const unique = (indexes: number[]) => {
    const seen = new Set<string>();
    for (let row = 0; row < rows.length; row++) {
      const key = indexes.map((i) => keys.get(i)![row]).join('\u0000');
      if (seen.has(key)) return false;
      seen.add(key);
    }
    return true;
  };
  const rank = ({ c, index }: { c: ColumnGuess; index: number }) => (ID_NAME.test(c.name) ? 0 : 1_000_000) + index;
  const singles = eligible.filter(({ c }) => c.type.kind !== 'date' && c.type.kind !== 'timestamp').sort((a, b) => rank(a) - rank(b));
  const single = singles.find(({ index }) => unique([index]));
  if (single) return [single.c.name];
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < eligible.length; i++) for (let j = i + 1; j < eligible.length; j++) pairs.push([i, j]);
  const score = ([i, j]: [number, number]) => -[eligible[i]!, eligible[j]!].filter(({ c }) => ID_NAME.test(c.name)).length;
  pairs.sort((a, b) => score(a) - score(b) || a[0] - b[0] || a[1] - b[1]);
  const pair = pairs.find(([i, j]) => unique([eligible[i]!.index, eligible[j]!.index]));
  return pair ? pair.map((i) => eligible[i]!.c.name) : [];
}

/** The first required date column (daily), else a required timestamp (year/month/day), else the day of ingestion. */
export function guessPartition(columns: ColumnGuess[], rows: string[][]): PartitionGuess {
  const date = columns.findIndex((c) => c.required && c.type.kind === 'date');
  if (date >= 0) {
    const column = columns[date]!;
    const cast = casterOf(column);
    const days = new Set(rows.map((r) => cast(r[date]!))).size;
    if (days <= MAX_DAILY_PARTITIONS) return { column: column.name, layout: 'date', why: 'the first required date column' };
    if (!columns.some((c) => c.name === 'year' || c.name === 'month')) {
      return { column: column.name, layout: 'year_month', why: `the first required date column; ${days} distinct days in the sample, so by month` };
    }
  }
  const timestamp = columns.find((c) => c.required && c.type.kind === 'timestamp');
  if (timestamp && !columns.some((c) => ['year', 'month', 'day'].includes(c.name))) {
    return { column: timestamp.name, layout: 'year_month_day', why: 'the first required timestamp column' };
  }
  return { column: 'ingest_date', layout: 'date', why: 'no required date or timestamp column: by the day of ingestion' };
}
