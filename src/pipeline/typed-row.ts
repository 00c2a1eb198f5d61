import type { DatasetContract } from './contract.js';
import { CAST_FAILED, casterFor, describeType, type Caster, type TypedValue } from './cast.js';
import { evaluate, rescaleExact, toDouble, type Exact, type NumericValue } from './expression.js';
import type { HeaderMap } from './header.js';
import type { QuarantineRule } from './manifest.js';
import type { ColumnType } from './types.js';

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

export class RowTyper {
  private readonly casters: Caster[];
  private readonly nullTokens: Set<string>;
  private readonly width: number;
  private readonly columnIndex = new Map<string, number>();

  constructor(
    private readonly contract: DatasetContract,
    private readonly headerMap: HeaderMap,
  ) {
    this.casters = contract.columns.map((c) => casterFor(c.type));
    this.nullTokens = new Set(['', ...contract.csv.nullTokens]);
    this.width = headerMap.header.length;
    [...contract.columns, ...contract.derived].forEach((c, index) => this.columnIndex.set(c.name, index));
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
    const { columns } = this.contract;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const text = fields[this.headerMap.sourceIndexes[i]!]!;
      if (this.nullTokens.has(text) || this.nullTokens.has(text.trim())) {
        if (column.required) {
          return { rule: 'required', column: column.name, value: text, message: `${column.name} is required but empty` };
        }
        values[i] = null;
        continue;
      }
      const value = this.casters[i]!(text);
      if (value === CAST_FAILED) {
        return {
          rule: 'cast',
          column: column.name,
          value: text,
          message: `${column.name}: "${truncate(text)}" is not ${describeType(column.type)}`,
        };
      }
      values[i] = value;
    }
    for (let d = 0; d < this.contract.derived.length; d++) {
      const derived = this.contract.derived[d]!;
      const index = columns.length + d;
      const result = evaluate(derived.expression, (name) => asNumeric(values[this.columnIndex.get(name)!]!, this.typeOf(name)));
      const value = result === null ? null : fromNumeric(result, derived.type);
      if (value === CAST_FAILED) {
        return {
          rule: 'derive',
          column: derived.name,
          value: String(typeof result === 'number' ? result : result && `${result.unscaled}e-${result.scale}`),
          message: `${derived.name} = ${derived.expressionText} does not fit ${describeType(derived.type)}`,
        };
      }
      values[index] = value;
    }
    return null;
  }

  private typeOf(name: string): ColumnType {
    const index = this.columnIndex.get(name)!;
    const { columns, derived } = this.contract;
    return index < columns.length ? columns[index]!.type : derived[index - columns.length]!.type;
  }
}

function asNumeric(value: RowValue, type: ColumnType): NumericValue {
  if (value === null) return null;
  switch (type.kind) {
    case 'int':
      return { unscaled: BigInt(value as number), scale: 0 };
    case 'bigint':
      return { unscaled: value as bigint, scale: 0 };
    case 'decimal':
      return { unscaled: value as bigint, scale: type.scale };
    case 'double':
      return value as number;
    default:
      throw new Error(`column of type ${type.kind} cannot be used in arithmetic`);
  }
}

const INT32_LIMIT = 2n ** 31n;
const INT64_LIMIT = 2n ** 63n;

function fromNumeric(result: Exact | number, type: ColumnType): RowValue | typeof CAST_FAILED {
  switch (type.kind) {
    case 'double':
      return toDouble(result);
    case 'decimal': {
      const unscaled = typeof result === 'number' ? BigInt(Math.round(result * 10 ** type.scale)) : rescaleExact(result, type.scale);
      const limit = 10n ** BigInt(type.precision);
      return unscaled < limit && unscaled > -limit ? unscaled : CAST_FAILED;
    }
    case 'int':
    case 'bigint': {
      const whole = typeof result === 'number' ? BigInt(Math.round(result)) : rescaleExact(result, 0);
      const limit = type.kind === 'int' ? INT32_LIMIT : INT64_LIMIT;
      if (whole >= limit || whole < -limit) return CAST_FAILED;
      return type.kind === 'int' ? Number(whole) : whole;
    }
    default:
      return CAST_FAILED;
  }
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
