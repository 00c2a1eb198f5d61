import { CAST_FAILED, casterFor, type TypedValue } from './cast.js';
import { parseColumnType, type ColumnType } from '../contract/column-type.js';
import type { BinaryOperator, Exact, Expression, FunctionName, Value } from '../contract/expression-tree.js';

/**
 * The small, safe expression language of derived columns, parsed into a tree and evaluated by walking it; never
 * `eval`. It has numbers, 'strings', true/false/null, column names, + - * /, comparisons (= != <> < <= > >=),
 * and/or/not, cast(x as type) and the functions coalesce, lower, upper, trim, length, year, month, day, abs, round.
 *
 * Arithmetic is exact on int, bigint and decimal values (scaled bigints); a double operand makes the result a double.
 * A null operand makes the result null, as in SQL. A value that cannot be computed (a string times a number, a failed
 * cast) throws ExpressionError, which the pipeline turns into a quarantined row.
 */

export type { Exact, Expression, Value } from '../contract/expression-tree.js';

const FUNCTIONS: Record<FunctionName, readonly [number, number]> = {
  coalesce: [1, Infinity],
  lower: [1, 1],
  upper: [1, 1],
  trim: [1, 1],
  length: [1, 1],
  year: [1, 1],
  month: [1, 1],
  day: [1, 1],
  abs: [1, 1],
  round: [1, 2],
};

export class ExpressionError extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|!=|<>|[-+*/(),=<>]))/y;
const DIVISION_SCALE = 12;
const MS_PER_DAY = 86_400_000;

type Token = { type: 'number' | 'string' | 'word' | 'symbol'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) {
      const rest = text.slice(start).trim();
      if (rest === '') break;
      throw new ExpressionError(`unexpected "${rest[0]}" at position ${text.length - rest.length + 1} in "${text}"`);
    }
    if (match[1] !== undefined) tokens.push({ type: 'number', text: match[1] });
    else if (match[2] !== undefined) tokens.push({ type: 'string', text: match[2].replace(/''/g, "'") });
    else if (match[3] !== undefined) tokens.push({ type: 'word', text: match[3] });
    else tokens.push({ type: 'symbol', text: match[4] === '<>' ? '!=' : match[4]! });
  }
  return tokens;
}

export function parseExpression(text: string, isColumn: (name: string) => boolean): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const isWord = (word: string) => peek()?.type === 'word' && peek()!.text.toLowerCase() === word;
  const isSymbol = (...symbols: string[]) => peek()?.type === 'symbol' && symbols.includes(peek()!.text);
  const expect = (symbol: string) => {
    if (!isSymbol(symbol)) throw new ExpressionError(`expected "${symbol}" in "${text}"`);
    position++;
  };

  const parseOr = (): Expression => {
    let left = parseAnd();
    while (isWord('or')) {
      position++;
      left = { kind: 'binary', operator: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expression => {
    let left = parseNot();
    while (isWord('and')) {
      position++;
      left = { kind: 'binary', operator: 'and', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Expression => {
    if (isWord('not')) {
      position++;
      return { kind: 'unary', operator: 'not', operand: parseNot() };
    }
    return parseComparison();
  };
  const parseComparison = (): Expression => {
    const left = parseSum();
    if (isSymbol('=', '!=', '<', '<=', '>', '>=')) {
      const operator = tokens[position++]!.text as BinaryOperator;
      return { kind: 'binary', operator, left, right: parseSum() };
    }
    return left;
  };
  const parseSum = (): Expression => {
    let left = parseProduct();
    while (isSymbol('+', '-')) {
      const operator = tokens[position++]!.text as '+' | '-';
      left = { kind: 'binary', operator, left, right: parseProduct() };
    }
    return left;
  };
  const parseProduct = (): Expression => {
    let left = parseUnary();
    while (isSymbol('*', '/')) {
      const operator = tokens[position++]!.text as '*' | '/';
      left = { kind: 'binary', operator, left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Expression => {
    if (isSymbol('-')) {
      position++;
      return { kind: 'unary', operator: '-', operand: parseUnary() };
    }
    return parseAtom();
  };
  const parseAtom = (): Expression => {
    const token = tokens[position++];
    if (token === undefined) throw new ExpressionError(`unexpected end of expression "${text}"`);
    if (token.type === 'symbol' && token.text === '(') {
      const inner = parseOr();
      expect(')');
      return inner;
    }
    if (token.type === 'number') return { kind: 'literal', value: exactFromText(token.text) };
    if (token.type === 'string') return { kind: 'literal', value: { k: 'string', v: token.text } };
    if (token.type === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true' || word === 'false') return { kind: 'literal', value: { k: 'boolean', v: word === 'true' } };
      if (word === 'null') return { kind: 'literal', value: null };
      if (isSymbol('(')) {
        position++;
        if (word === 'cast') {
          const operand = parseOr();
          if (!isWord('as')) throw new ExpressionError(`expected "as" in cast of "${text}"`);
          position++;
          let typeText = '';
          while (peek() && !isSymbol(')')) typeText += tokens[position++]!.text;
          expect(')');
          const type = parseColumnType(typeText);
          if (typeof type === 'string') throw new ExpressionError(`${type} in "${text}"`);
          return { kind: 'cast', operand, type };
        }
        if (!(word in FUNCTIONS)) throw new ExpressionError(`unknown function "${token.text}" in "${text}"`);
        const args: Expression[] = [];
        if (!isSymbol(')')) {
          args.push(parseOr());
          while (isSymbol(',')) {
            position++;
            args.push(parseOr());
          }
        }
        expect(')');
        const [min, max] = FUNCTIONS[word as FunctionName];
        if (args.length < min || args.length > max) {
          throw new ExpressionError(`${word}() takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length} in "${text}"`);
        }
        return { kind: 'call', name: word as FunctionName, args };
      }
      if (!isColumn(token.text)) throw new ExpressionError(`unknown column "${token.text}" in "${text}"`);
      return { kind: 'column', name: token.text };
    }
    throw new ExpressionError(`unexpected "${token.text}" in "${text}"`);
  };

  const expression = parseOr();
  if (position < tokens.length) throw new ExpressionError(`unexpected "${tokens[position]!.text}" in "${text}"`);
  return expression;
}

/** Column names the expression reads. */
export function referencedColumns(expression: Expression): string[] {
  switch (expression.kind) {
    case 'column':
      return [expression.name];
    case 'literal':
      return [];
    case 'unary':
    case 'cast':
      return referencedColumns(expression.operand);
    case 'binary':
      return [...referencedColumns(expression.left), ...referencedColumns(expression.right)];
    case 'call':
      return expression.args.flatMap(referencedColumns);
  }
}

export function evaluate(expression: Expression, valueOf: (column: string) => Value): Value {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'column':
      return valueOf(expression.name);
    case 'unary': {
      const value = evaluate(expression.operand, valueOf);
      if (value === null) return null;
      if (expression.operator === 'not') return { k: 'boolean', v: !asBoolean(value) };
      if (value.k === 'exact') return { k: 'exact', unscaled: -value.unscaled, scale: value.scale };
      if (value.k === 'double') return { k: 'double', v: -value.v };
      throw new ExpressionError(`cannot negate a ${value.k}`);
    }
    case 'cast': {
      const value = evaluate(expression.operand, valueOf);
      return value === null ? null : fromTyped(toTyped(value, expression.type), expression.type);
    }
    case 'call':
      return call(expression.name, expression.args, valueOf);
    case 'binary':
      return binary(expression.operator, expression.left, expression.right, valueOf);
  }
}

function binary(operator: BinaryOperator, leftExpression: Expression, rightExpression: Expression, valueOf: (column: string) => Value): Value {
  const left = evaluate(leftExpression, valueOf);
  if (operator === 'and' && left !== null && !asBoolean(left)) return { k: 'boolean', v: false };
  if (operator === 'or' && left !== null && asBoolean(left)) return { k: 'boolean', v: true };
  const right = evaluate(rightExpression, valueOf);
  if (operator === 'and' || operator === 'or') {
    if (left === null || right === null) return null;
    return { k: 'boolean', v: asBoolean(right) };
  }
  if (left === null || right === null) return null;
  if (operator === '+' || operator === '-' || operator === '*' || operator === '/') return arithmetic(operator, left, right);
  const order = compare(left, right);
  switch (operator) {
    case '=':
      return { k: 'boolean', v: order === 0 };
    case '!=':
      return { k: 'boolean', v: order !== 0 };
    case '<':
      return { k: 'boolean', v: order < 0 };
    case '<=':
      return { k: 'boolean', v: order <= 0 };
    case '>':
      return { k: 'boolean', v: order > 0 };
    default:
      return { k: 'boolean', v: order >= 0 };
  }
}

function arithmetic(operator: '+' | '-' | '*' | '/', left: NonNullable<Value>, right: NonNullable<Value>): Value {
  if (left.k === 'exact' && right.k === 'exact') return exactArithmetic(operator, left, right);
  if ((left.k === 'exact' || left.k === 'double') && (right.k === 'exact' || right.k === 'double')) {
    const a = toDouble(left);
    const b = toDouble(right);
    const v = operator === '+' ? a + b : operator === '-' ? a - b : operator === '*' ? a * b : a / b;
    return Number.isFinite(v) ? { k: 'double', v } : null;
  }
  if (left.k === 'date' && right.k === 'exact' && right.scale === 0 && (operator === '+' || operator === '-')) {
    const days = Number(right.unscaled);
    return { k: 'date', days: operator === '+' ? left.days + days : left.days - days };
  }
  if (left.k === 'date' && right.k === 'date' && operator === '-') return { k: 'exact', unscaled: BigInt(left.days - right.days), scale: 0 };
  throw new ExpressionError(`cannot compute ${left.k} ${operator} ${right.k}`);
}

function exactArithmetic(operator: '+' | '-' | '*' | '/', a: Exact, b: Exact): Value {
  switch (operator) {
    case '+':
    case '-': {
      const scale = Math.max(a.scale, b.scale);
      const x = rescaleExact(a, scale);
      const y = rescaleExact(b, scale);
      return { k: 'exact', unscaled: operator === '+' ? x + y : x - y, scale };
    }
    case '*':
      return { k: 'exact', unscaled: a.unscaled * b.unscaled, scale: a.scale + b.scale };
    default: {
      if (b.unscaled === 0n) return null; // division by zero is null, as in engines that do not raise
      // a / b at DIVISION_SCALE digits: (a.u * 10^(S + b.s - a.s)) / b.u, rounded half away from zero.
      const shift = DIVISION_SCALE + b.scale - a.scale;
      const numerator = shift >= 0 ? a.unscaled * 10n ** BigInt(shift) : a.unscaled / 10n ** BigInt(-shift);
      return { k: 'exact', unscaled: divideRounded(numerator, b.unscaled), scale: DIVISION_SCALE };
    }
  }
}

function call(name: FunctionName, args: Expression[], valueOf: (column: string) => Value): Value {
  if (name === 'coalesce') {
    for (const arg of args) {
      const value = evaluate(arg, valueOf);
      if (value !== null) return value;
    }
    return null;
  }
  const value = evaluate(args[0]!, valueOf);
  if (value === null) return null;
  switch (name) {
    case 'lower':
      return { k: 'string', v: asString(value).toLowerCase() };
    case 'upper':
      return { k: 'string', v: asString(value).toUpperCase() };
    case 'trim':
      return { k: 'string', v: asString(value).trim() };
    case 'length':
      return { k: 'exact', unscaled: BigInt([...asString(value)].length), scale: 0 };
    case 'year':
    case 'month':
    case 'day': {
      const date = new Date(asMillis(value));
      const part = name === 'year' ? date.getUTCFullYear() : name === 'month' ? date.getUTCMonth() + 1 : date.getUTCDate();
      return { k: 'exact', unscaled: BigInt(part), scale: 0 };
    }
    case 'abs':
      if (value.k === 'exact') return { ...value, unscaled: value.unscaled < 0n ? -value.unscaled : value.unscaled };
      if (value.k === 'double') return { k: 'double', v: Math.abs(value.v) };
      throw new ExpressionError(`abs() needs a number, got ${value.k}`);
    case 'round': {
      const digitsValue = args[1] ? evaluate(args[1], valueOf) : { k: 'exact' as const, unscaled: 0n, scale: 0 };
      if (digitsValue === null) return null;
      const digits = Number(toDouble(digitsValue as NonNullable<Value>));
      if (value.k === 'exact') return value.scale <= digits ? value : { k: 'exact', unscaled: rescaleExact(value, digits), scale: digits };
      if (value.k === 'double') return { k: 'double', v: Math.round(value.v * 10 ** digits) / 10 ** digits };
      throw new ExpressionError(`round() needs a number, got ${value.k}`);
    }
  }
}

function compare(left: NonNullable<Value>, right: NonNullable<Value>): number {
  if (left.k === 'exact' && right.k === 'exact') {
    const scale = Math.max(left.scale, right.scale);
    const a = rescaleExact(left, scale);
    const b = rescaleExact(right, scale);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if ((left.k === 'exact' || left.k === 'double') && (right.k === 'exact' || right.k === 'double')) {
    return Math.sign(toDouble(left) - toDouble(right));
  }
  if ((left.k === 'date' || left.k === 'timestamp') && (right.k === 'date' || right.k === 'timestamp')) {
    return Math.sign(asMillis(left) - asMillis(right));
  }
  if (left.k === right.k) {
    const a = left.k === 'string' ? left.v : String((left as { v: boolean }).v);
    const b = right.k === 'string' ? right.v : String((right as { v: boolean }).v);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  throw new ExpressionError(`cannot compare ${left.k} with ${right.k}`);
}

function asBoolean(value: NonNullable<Value>): boolean {
  if (value.k !== 'boolean') throw new ExpressionError(`expected a boolean, got ${value.k}`);
  return value.v;
}

function asString(value: NonNullable<Value>): string {
  if (value.k !== 'string') throw new ExpressionError(`expected a string, got ${value.k}`);
  return value.v;
}

function asMillis(value: NonNullable<Value>): number {
  if (value.k === 'date') return value.days * MS_PER_DAY;
  if (value.k === 'timestamp') return value.ms;
  throw new ExpressionError(`expected a date or timestamp, got ${value.k}`);
}

export function exactFromText(text: string): Value {
  const [whole, fraction = ''] = text.split('.');
  return { k: 'exact', unscaled: BigInt(whole! + fraction), scale: fraction.length };
}

export function toDouble(value: Exact | { k: 'double'; v: number } | NonNullable<Value>): number {
  if ('unscaled' in value) return Number(value.unscaled) / 10 ** value.scale;
  if ('v' in value && typeof value.v === 'number') return value.v;
  throw new ExpressionError(`expected a number, got ${(value as { k: string }).k}`);
}

/** The unscaled integer of `value` at `scale` digits, rounding half away from zero when digits are dropped. */
export function rescaleExact(value: Exact, scale: number): bigint {
  if (scale >= value.scale) return value.unscaled * 10n ** BigInt(scale - value.scale);
  return divideRounded(value.unscaled, 10n ** BigInt(value.scale - scale));
}

function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (n + d / 2n) / d;
  return negative ? -quotient : quotient;
}

const INT32_LIMIT = 2n ** 31n;
const INT64_LIMIT = 2n ** 63n;

/** A typed row value (as the caster produces it) as an expression value. */
export function fromTyped(value: TypedValue | null, type: ColumnType): Value {
  if (value === null) return null;
  switch (type.kind) {
    case 'int':
      return { k: 'exact', unscaled: BigInt(value as number), scale: 0 };
    case 'bigint':
      return { k: 'exact', unscaled: value as bigint, scale: 0 };
    case 'decimal':
      return { k: 'exact', unscaled: value as bigint, scale: type.scale };
    case 'double':
      return { k: 'double', v: value as number };
    case 'string':
      return { k: 'string', v: value as string };
    case 'boolean':
      return { k: 'boolean', v: value as boolean };
    case 'date':
      return { k: 'date', days: value as number };
    case 'timestamp':
      return { k: 'timestamp', ms: value as number };
  }
}

/** An expression value converted to a column type's typed value; throws ExpressionError when it does not fit. */
export function toTyped(value: NonNullable<Value>, type: ColumnType): TypedValue {
  const fail = (): never => {
    throw new ExpressionError(`${describeValue(value)} does not fit ${type.kind === 'decimal' ? `decimal(${type.precision},${type.scale})` : type.kind}`);
  };
  if (value.k === 'string' && type.kind !== 'string') {
    const cast = casterFor(type)(value.v);
    return cast === CAST_FAILED ? fail() : cast;
  }
  switch (type.kind) {
    case 'string':
      return value.k === 'string' ? value.v : describeValue(value);
    case 'boolean':
      return value.k === 'boolean' ? value.v : fail();
    case 'double':
      return value.k === 'exact' || value.k === 'double' ? toDouble(value) : fail();
    case 'decimal': {
      if (value.k !== 'exact' && value.k !== 'double') return fail();
      const unscaled = value.k === 'double' ? BigInt(Math.round(value.v * 10 ** type.scale)) : rescaleExact(value, type.scale);
      const limit = 10n ** BigInt(type.precision);
      return unscaled < limit && unscaled > -limit ? unscaled : fail();
    }
    case 'int':
    case 'bigint': {
      if (value.k !== 'exact' && value.k !== 'double') return fail();
      if (value.k === 'double' && !Number.isFinite(value.v)) return fail();
      const whole = value.k === 'double' ? BigInt(Math.round(value.v)) : rescaleExact(value, 0);
      const limit = type.kind === 'int' ? INT32_LIMIT : INT64_LIMIT;
      if (whole >= limit || whole < -limit) return fail();
      return type.kind === 'int' ? Number(whole) : whole;
    }
    case 'date':
      if (value.k === 'date') return value.days;
      if (value.k === 'timestamp') return Math.floor(value.ms / MS_PER_DAY);
      return fail();
    case 'timestamp':
      if (value.k === 'timestamp') return value.ms;
      if (value.k === 'date') return value.days * MS_PER_DAY;
      return fail();
  }
}

function describeValue(value: NonNullable<Value>): string {
  switch (value.k) {
    case 'exact': {
      const negative = value.unscaled < 0n;
      const digits = (negative ? -value.unscaled : value.unscaled).toString().padStart(value.scale + 1, '0');
      const text = value.scale === 0 ? digits : `${digits.slice(0, -value.scale)}.${digits.slice(-value.scale)}`;
      return negative ? `-${text}` : text;
    }
    case 'double':
      return String(value.v);
    case 'string':
      return value.v;
    case 'boolean':
      return String(value.v);
    case 'date':
      return new Date(value.days * MS_PER_DAY).toISOString().slice(0, 10);
    case 'timestamp':
      return new Date(value.ms).toISOString();
  }
}
