import type { ColumnContract, DatasetContract } from '../contract/contract.js';
import { CAST_FAILED, casterFor, describeType, type Caster, type TypedValue } from './cast.js';
import { compileExact, type CompiledExpression } from './compiled-expression.js';
import { evaluate, ExpressionError, fromTyped, toTyped } from './expression.js';
import type { HeaderMap } from '../read/header.js';
import type { QuarantineRule } from '../contract/run-manifest.js';
import type { ColumnType } from '../contract/column-type.js';

/**
 * Turns one source record into typed values (source columns, then derived columns, in contract order), or says why
 * it cannot: the first failing rule, the column, the offending value and a one-line message.
 */

export type RowValue = TypedValue | null;

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
    this.readers = contract.columns.map((column, index) => {
      const cast = casterFor(column.type, column.parse);
      const nullTokens = new Set(['', ...contract.csv.nullTokens, ...column.parse.nullTokens]);
      return {
        column,
        sourceIndex: headerMap.sourceIndexes[index]!,
        nullTokens,
        nullTokenLength: Math.max(...[...nullTokens].map((t) => t.length)),
        cast,
        check: ruleCheck(column, cast),
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
      const { column } = reader;
      const text = reader.sourceIndex < 0 ? '' : fields[reader.sourceIndex]!;
      if (isNullToken(text, reader.nullTokens, reader.nullTokenLength)) {
        if (column.required) {
          return { rule: 'not_null', column: column.name, value: text, message: `${column.name} is required but empty` };
        }
        values[i] = null;
        continue;
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
    }
    const offset = this.readers.length;
    for (let d = 0; d < this.contract.derived.length; d++) {
      const derived = this.contract.derived[d]!;
      const fast = this.compiled[d]?.(values);
      if (fast !== undefined) {
        values[offset + d] = fast;
        continue;
      }
      try {
        const result = evaluate(derived.expression, (name) => {
          const index = this.columnIndex.get(name)!;
          return fromTyped(values[index]!, this.types[index]!);
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
