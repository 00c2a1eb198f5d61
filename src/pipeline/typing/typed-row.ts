import type { ColumnContract, DatasetContract } from '../contract/contract.js';
import { CAST_FAILED, casterFor, describeType, type Caster, type TypedValue } from './cast.js';
import { compileExact, type CompiledExpression } from './compiled-expression.js';
import { evaluate, ExpressionError, fromTyped, referencedColumns, toTyped } from './expression.js';
import type { HeaderMap } from '../read/header.js';
import type { QuarantineRule } from '../contract/run-manifest.js';
import type { ColumnType } from '../contract/column-type.js';
import type { CsvByteBatch } from '../read/csv-bytes.js';
import { Utf8Field } from '../support/utf8-field.js';
import { byteCastFor, DECLINED, type ByteCast } from './byte-casts.js';

/**
 * Turns one source record into typed values (source columns, then derived columns, in contract order), or says why
 * it cannot: the first failing rule, the column, the offending value and a one-line message.
 */

/** A typed value; a string column read by the CSV byte lane may hold its bytes instead (see utf8-field.ts). */
export type RowValue = TypedValue | Utf8Field | null;

export interface RowRejection {
  rule: QuarantineRule;
  column: string;
  value: string;
  message: string;
}

/** A column's reader: where its text is, what counts as null, how it is cast and checked. */
interface ColumnReader {
  column: ColumnContract;
  sourceIndex: number;
  nullTokens: Set<string>;
  /** The longest null token: longer text is never null, so most fields skip the set. */
  nullTokenLength: number;
  cast: Caster;
  check?: (value: TypedValue, text: string) => RowRejection | null;
  /** How the byte lane reads the column: a byte cast, its bytes as they are, or (undefined) the text way. */
  bytes?: ByteCast | Utf8Field;
  /** The null tokens as UTF-8, for the byte lane (the empty one aside). */
  nullTokenBytes: Uint8Array[];
  /** Bit n set when a null token is n bytes long (n < 31; longer ones set bit 31): most fields skip the comparison. */
  nullTokenLengths: number;
}

export class RowTyper {
  private readonly readers: ColumnReader[];
  private readonly width: number;
  private readonly columnIndex = new Map<string, number>();
  private readonly types: ColumnType[];
  /** Per derived column, its compiled fast path (see compiled-expression.ts), if it has one. */
  private readonly compiled: Array<CompiledExpression | undefined>;

  constructor(
    private readonly contract: DatasetContract,
    headerMap: HeaderMap,
  ) {
    this.width = headerMap.header.length;
    const referenced = valuesReadElsewhere(contract);
    this.readers = contract.columns.map((column, index) => {
      const cast = casterFor(column.type, column.parse);
      const nullTokens = new Set(['', ...contract.csv.nullTokens, ...column.parse.nullTokens]);
      const check = ruleCheck(column, cast);
      return {
        column,
        sourceIndex: headerMap.sourceIndexes[index]!,
        nullTokens,
        nullTokenLength: Math.max(...[...nullTokens].map((t) => t.length)),
        cast,
        check,
        bytes: check ? undefined : byteReading(column, referenced.has(column.name)),
        nullTokenBytes: [...nullTokens].filter((t) => t !== '').map((t) => Buffer.from(t, 'utf8')),
        nullTokenLengths: [...nullTokens].reduce((bits, t) => bits | lengthBit(Buffer.byteLength(t)), 0),
      };
    });
    this.types = [...contract.columns.map((c) => c.type), ...contract.derived.map((d) => d.type)];
    [...contract.columns, ...contract.derived].forEach((c, index) => this.columnIndex.set(c.name, index));
    const columnOf = (name: string) => {
      const index = this.columnIndex.get(name)!;
      return { index, type: this.types[index]! };
    };
    this.compiled = contract.derived.map((d) => compileExact(d.expression, columnOf, d.type));
  }

  /** Fills `values` (reused between rows) and returns null, or returns the reason the row is rejected. */
  type(fields: string[], values: RowValue[]): RowRejection | null {
    if (fields.length !== this.width) {
      return {
        rule: 'column_count',
        column: '',
        value: String(fields.length),
        message: `row has ${fields.length} fields, header has ${this.width}`,
      };
    }
    for (let i = 0; i < this.readers.length; i++) {
      const reader = this.readers[i]!;
      const rejection = this.typeText(reader, reader.sourceIndex < 0 ? '' : fields[reader.sourceIndex]!, values, i);
      if (rejection) return rejection;
    }
    return this.derive(values);
  }

  /**
   * `type` for record `r` of a CSV byte batch: the same values and the same rejections. Numbers and dates in their
   * plain forms are cast from the bytes and string values stay bytes; any other field is cast from its text as `type`
   * casts it.
   */
  typeBytes(batch: CsvByteBatch, r: number, values: RowValue[]): RowRejection | null {
    const first = batch.fieldsAt[r]!;
    const count = batch.fieldsAt[r + 1]! - first;
    if (count !== this.width) {
      return { rule: 'column_count', column: '', value: String(count), message: `row has ${count} fields, header has ${this.width}` };
    }
    const { bytes, starts, ends } = batch;
    for (let i = 0; i < this.readers.length; i++) {
      const reader = this.readers[i]!;
      const lane = reader.bytes;
      if (lane === undefined || reader.sourceIndex < 0) {
        const rejection = this.typeText(reader, reader.sourceIndex < 0 ? '' : batch.text(first + reader.sourceIndex), values, i);
        if (rejection) return rejection;
        continue;
      }
      const field = first + reader.sourceIndex;
      const start = starts[field]!;
      const end = ends[field]!;
      if (start === end) {
        if (reader.column.required) return this.typeText(reader, '', values, i);
        values[i] = null;
        continue;
      }
      // Text with whitespace (or any non-ASCII) at an end may trim to a null token or be trimmed: the text way.
      const head = bytes[start]!;
      const tail = bytes[end - 1]!;
      if (
        head <= 32 ||
        head >= 0x80 ||
        tail <= 32 ||
        tail >= 0x80 ||
        ((reader.nullTokenLengths & lengthBit(end - start)) !== 0 && isNullTokenBytes(bytes, start, end, reader.nullTokenBytes))
      ) {
        const rejection = this.typeText(reader, batch.text(field), values, i);
        if (rejection) return rejection;
        continue;
      }
      if (typeof lane !== 'function') {
        lane.bytes = bytes;
        lane.start = start;
        lane.end = end;
        values[i] = lane;
        continue;
      }
      const value = lane(bytes, start, end);
      if (value === DECLINED) {
        const rejection = this.typeText(reader, batch.text(field), values, i);
        if (rejection) return rejection;
        continue;
      }
      values[i] = value;
    }
    return this.derive(values);
  }

  /** One column's value from its text: null, cast and checked, or the reason the row is rejected. */
  private typeText(reader: ColumnReader, text: string, values: RowValue[], i: number): RowRejection | null {
    const { column } = reader;
    if (isNullToken(text, reader.nullTokens, reader.nullTokenLength)) {
      if (column.required) {
        return { rule: 'not_null', column: column.name, value: text, message: `${column.name} is required but empty` };
      }
      values[i] = null;
      return null;
    }
    const value = reader.cast(text);
    if (value === CAST_FAILED) {
      return {
        rule: 'cast',
        column: column.name,
        value: text,
        message: `${column.name}: "${truncate(text)}" is not ${describeType(column.type, column.parse)}`,
      };
    }
    const rejection = reader.check?.(value, text);
    if (rejection) return rejection;
    values[i] = value;
    return null;
  }

  /** The derived columns, after the source columns are typed. */
  private derive(values: RowValue[]): RowRejection | null {
    const offset = this.readers.length;
    for (let d = 0; d < this.contract.derived.length; d++) {
      const derived = this.contract.derived[d]!;
      const fast = this.compiled[d]?.(values as Array<TypedValue | null>);
      if (fast !== undefined) {
        values[offset + d] = fast;
        continue;
      }
      try {
        const result = evaluate(derived.expression, (name) => {
          const index = this.columnIndex.get(name)!;
          return fromTyped(values[index] as TypedValue, this.types[index]!);
        });
        values[offset + d] = result === null ? null : toTyped(result, derived.type);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        return {
          rule: 'derive',
          column: derived.name,
          value: '',
          message: `${derived.name} = ${derived.expressionText}: ${error.message}`,
        };
      }
    }
    return null;
  }
}

/**
 * How the byte lane reads a column: plain numbers and dates by a byte cast; a string column's values as bytes when
 * nothing else reads them as text (a key, a derived expression or the partition need the string); undefined: the text
 * way, through cast.ts.
 */
function byteReading(column: ColumnContract, readElsewhere: boolean): ByteCast | Utf8Field | undefined {
  if (column.type.kind === 'string') return column.type.json || readElsewhere ? undefined : new Utf8Field();
  return byteCastFor(column.type, column.parse);
}

/** The columns whose values something besides the Parquet file reads: the primary key, derived expressions, the partition. */
function valuesReadElsewhere(contract: DatasetContract): Set<string> {
  return new Set([...contract.primaryKey, contract.partition.column, ...contract.derived.flatMap((d) => referencedColumns(d.expression))]);
}

function lengthBit(length: number): number {
  return 1 << Math.min(length, 31);
}

/** Whether the bytes are one of the (non-empty) null tokens exactly. */
function isNullTokenBytes(bytes: Uint8Array, start: number, end: number, tokens: Uint8Array[]): boolean {
  const length = end - start;
  for (const token of tokens) {
    if (token.length !== length) continue;
    let k = 0;
    while (k < length && bytes[start + k] === token[k]) k++;
    if (k === length) return true;
  }
  return false;
}

/** The value rules of a column (accepted_values, range, regex, length) as one check, or undefined when it has none. */
function ruleCheck(column: ColumnContract, cast: Caster): ColumnReader['check'] {
  const { rules, name } = column;
  const checks: Array<(value: TypedValue, text: string) => RowRejection | null> = [];
  const reject = (rule: QuarantineRule, text: string, message: string): RowRejection => ({ rule, column: name, value: text, message });

  if (rules.acceptedValues) {
    const accepted = new Set(rules.acceptedValues.map((v) => comparable(cast(v) as TypedValue)));
    const list = rules.acceptedValues.join(', ');
    checks.push((value, text) =>
      accepted.has(comparable(value)) ? null : reject('accepted_values', text, `${name}: "${truncate(text)}" is not one of ${list}`),
    );
  }
  if (rules.min !== undefined || rules.max !== undefined) {
    const min = rules.min === undefined ? undefined : (cast(rules.min) as number | bigint);
    const max = rules.max === undefined ? undefined : (cast(rules.max) as number | bigint);
    checks.push((value, text) => {
      const v = value as number | bigint;
      if (min !== undefined && v < min) return reject('range', text, `${name}: ${text.trim()} is below the minimum ${rules.min}`);
      if (max !== undefined && v > max) return reject('range', text, `${name}: ${text.trim()} is above the maximum ${rules.max}`);
      return null;
    });
  }
  if (rules.pattern) {
    const pattern = new RegExp(rules.pattern, 'u');
    checks.push((value, text) =>
      pattern.test(value as string) ? null : reject('regex', text, `${name}: "${truncate(text)}" does not match ${rules.pattern}`),
    );
  }
  if (rules.minLength !== undefined || rules.maxLength !== undefined) {
    const min = rules.minLength ?? 0;
    const max = rules.maxLength ?? Infinity;
    checks.push((value, text) => {
      const length = [...(value as string)].length;
      return length >= min && length <= max
        ? null
        : reject('length', text, `${name}: length ${length} is outside ${min}..${max === Infinity ? '' : max}`);
    });
  }
  if (checks.length === 0) return undefined;
  return (value, text) => {
    for (const check of checks) {
      const rejection = check(value, text);
      if (rejection) return rejection;
    }
    return null;
  };
}

/** Whether the text, as it is or trimmed, is one of the null tokens. */
function isNullToken(text: string, tokens: Set<string>, longest: number): boolean {
  if (text.length <= longest && tokens.has(text)) return true;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  // Only text with whitespace at an end can trim to something else (trim's whitespace is ≤ 32 or ≥ 0x80).
  if (text.length === 0 || (first > 32 && first < 0x80 && last > 32 && last < 0x80)) return false;
  const trimmed = text.trim();
  return trimmed.length <= longest && tokens.has(trimmed);
}

/** A typed value as a key that compares equal exactly when the values do (bigint and number never collide). */
export function comparable(value: TypedValue): string {
  return typeof value === 'bigint' ? `${value}n` : `${typeof value}:${String(value)}`;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
