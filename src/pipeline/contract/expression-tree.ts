import type { ColumnType } from './column-type.js';

/** The tree a derived column's expression parses into: the contract holds it, the typing stage evaluates it. */
export type Expression =
  | { kind: 'literal'; value: Value }
  | { kind: 'column'; name: string }
  | { kind: 'unary'; operator: '-' | 'not'; operand: Expression }
  | { kind: 'binary'; operator: BinaryOperator; left: Expression; right: Expression }
  | { kind: 'call'; name: FunctionName; args: Expression[] }
  | { kind: 'cast'; operand: Expression; type: ColumnType };

export type BinaryOperator = '+' | '-' | '*' | '/' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export type FunctionName = 'coalesce' | 'lower' | 'upper' | 'trim' | 'length' | 'year' | 'month' | 'day' | 'abs' | 'round';

/** An exact number: unscaled / 10^scale. */
export interface Exact {
  unscaled: bigint;
  scale: number;
}

/** A value while an expression is evaluated. */
export type Value =
  | null
  | ({ k: 'exact' } & Exact)
  | { k: 'double'; v: number }
  | { k: 'string'; v: string }
  | { k: 'boolean'; v: boolean }
  | { k: 'date'; days: number }
  | { k: 'timestamp'; ms: number };
