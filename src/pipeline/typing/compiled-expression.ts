import type { TypedValue } from './cast.js';
import type { Expression } from './expression.js';
import type { ColumnType } from '../contract/column-type.js';

/**
 * A fast path beside the expression evaluator for the common derived column — exact arithmetic (+ - *) over int,
 * bigint and decimal columns and number literals into an int, bigint or decimal column, e.g. `quantity * price`. The
 * types are known from the contract, so each operand's scale is fixed when compiling and the arithmetic runs on
 * unscaled integers held in numbers: no `Value` object, no BigInt until the result.
 *
 * The compiled function returns what `toTyped(evaluate(…))` would, or `undefined` whenever a number could not hold it
 * exactly (beyond 2^53), a digit would be rounded away, or the result does not fit: the caller then evaluates the row
 * the general way, which also produces the exact error.
 */

type Row = ReadonlyArray<TypedValue | null>;
/** An unscaled value at a scale fixed at compile time; null is SQL null; undefined: not exact in a number. */
type Node = (row: Row) => number | null | undefined;

export type CompiledExpression = (row: Row) => TypedValue | null | undefined;

export function compileExact(
  expression: Expression,
  columnOf: (name: string) => { index: number; type: ColumnType },
  type: ColumnType,
): CompiledExpression | undefined {
  if (type.kind !== 'decimal' && type.kind !== 'int' && type.kind !== 'bigint') return undefined;
  const compiled = compileNode(expression, columnOf);
  if (!compiled) return undefined;
  const [node, scale] = compiled;
  const targetScale = type.kind === 'decimal' ? type.scale : 0;
  if (targetScale < scale) return undefined; // rounding: left to the evaluator
  const factor = 10 ** (targetScale - scale);
  if (!Number.isSafeInteger(factor)) return undefined;
  const limit = type.kind === 'decimal' ? 10 ** type.precision : type.kind === 'int' ? 2 ** 31 : 2 ** 63;
  const asBigint = type.kind !== 'int';
  return (row) => {
    const value = node(row);
    if (value === null || value === undefined) return value;
    const unscaled = value * factor;
    if (!Number.isSafeInteger(unscaled) || unscaled >= limit || unscaled < -limit) return undefined;
    return asBigint ? BigInt(unscaled) : unscaled + 0; // + 0: -0 is 0, as the evaluator's BigInt was
  };
}

function compileNode(expression: Expression, columnOf: (name: string) => { index: number; type: ColumnType }): [Node, number] | undefined {
  switch (expression.kind) {
    case 'literal': {
      const { value } = expression;
      if (value === null || value.k !== 'exact') return undefined;
      const number = Number(value.unscaled);
      if (!Number.isSafeInteger(number)) return undefined;
      return [() => number, value.scale];
    }
    case 'column': {
      const { index, type } = columnOf(expression.name);
      if (type.kind === 'int') return [(row) => row[index] as number | null, 0];
      if (type.kind !== 'bigint' && type.kind !== 'decimal') return undefined;
      const scale = type.kind === 'decimal' ? type.scale : 0;
      return [
        (row) => {
          const value = row[index] as bigint | null;
          if (value === null) return null;
          return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : undefined;
        },
        scale,
      ];
    }
    case 'unary': {
      if (expression.operator !== '-') return undefined;
      const operand = compileNode(expression.operand, columnOf);
      if (!operand) return undefined;
      const [node, scale] = operand;
      return [(row) => {
        const value = node(row);
        return value === null || value === undefined ? value : -value;
      }, scale];
    }
    case 'binary': {
      const { operator } = expression;
      if (operator !== '+' && operator !== '-' && operator !== '*') return undefined;
      const left = compileNode(expression.left, columnOf);
      const right = compileNode(expression.right, columnOf);
      if (!left || !right) return undefined;
      const [a, sa] = left;
      const [b, sb] = right;
      if (operator === '*') {
        return [(row) => {
          const x = a(row);
          const y = b(row);
          if (x === null || y === null) return null;
          if (x === undefined || y === undefined) return undefined;
          const product = x * y;
          return Number.isSafeInteger(product) ? product : undefined;
        }, sa + sb];
      }
      const scale = Math.max(sa, sb);
      const fa = 10 ** (scale - sa);
      const fb = 10 ** (scale - sb);
      if (!Number.isSafeInteger(fa) || !Number.isSafeInteger(fb)) return undefined;
      const sign = operator === '+' ? 1 : -1;
      return [(row) => {
        const x = a(row);
        const y = b(row);
        if (x === null || y === null) return null;
        if (x === undefined || y === undefined) return undefined;
        const sum = x * fa + sign * (y * fb);
        // Each term, and the sum, must be exact.
        return Number.isSafeInteger(x * fa) && Number.isSafeInteger(y * fb) && Number.isSafeInteger(sum) ? sum : undefined;
      }, scale];
    }
    default:
      return undefined;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
