/**
 * The small, safe expression language of derived columns: numbers, column names, + - * /, parentheses, unary minus
 * and coalesce(a, b, …). Parsed into a tree and evaluated by walking it; never `eval`.
 *
 * Arithmetic is exact for int, bigint and decimal operands (scaled bigints); a double operand makes the result a double.
 */

export type Expression =
  | { kind: 'number'; text: string }
  | { kind: 'column'; name: string }
  | { kind: 'negate'; operand: Expression }
  | { kind: 'binary'; operator: '+' | '-' | '*' | '/'; left: Expression; right: Expression }
  | { kind: 'call'; name: 'coalesce'; args: Expression[] };

/** An exact number: unscaled / 10^scale. */
export interface Exact {
  unscaled: bigint;
  scale: number;
}

export type NumericValue = Exact | number | null;

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([a-z_][a-z0-9_]*)|([-+*/(),]))/y;
const DIVISION_SCALE = 12;

export function parseExpression(text: string, isColumn: (name: string) => boolean): Expression {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) {
      if (text.slice(start).trim() === '') break;
      throw new Error(`unexpected "${text.slice(start).trim()[0]}" at position ${start + 1} in "${text}"`);
    }
    tokens.push(match[1] ?? match[2] ?? match[3]!);
  }
  let position = 0;
  const peek = () => tokens[position];
  const expect = (token: string) => {
    if (tokens[position] !== token) throw new Error(`expected "${token}" in "${text}"`);
    position++;
  };

  const parseSum = (): Expression => {
    let left = parseProduct();
    while (peek() === '+' || peek() === '-') {
      const operator = tokens[position++] as '+' | '-';
      left = { kind: 'binary', operator, left, right: parseProduct() };
    }
    return left;
  };
  const parseProduct = (): Expression => {
    let left = parseUnary();
    while (peek() === '*' || peek() === '/') {
      const operator = tokens[position++] as '*' | '/';
      left = { kind: 'binary', operator, left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Expression => {
    if (peek() === '-') {
      position++;
      return { kind: 'negate', operand: parseUnary() };
    }
    return parseAtom();
  };
  const parseAtom = (): Expression => {
    const token = tokens[position++];
    if (token === undefined) throw new Error(`unexpected end of expression "${text}"`);
    if (token === '(') {
      const inner = parseSum();
      expect(')');
      return inner;
    }
    if (/^\d/.test(token)) return { kind: 'number', text: token };
    if (/^[a-z_]/.test(token)) {
      if (peek() === '(') {
        if (token !== 'coalesce') throw new Error(`unknown function "${token}" in "${text}"`);
        position++;
        const args = [parseSum()];
        while (peek() === ',') {
          position++;
          args.push(parseSum());
        }
        expect(')');
        return { kind: 'call', name: 'coalesce', args };
      }
      if (!isColumn(token)) throw new Error(`unknown column "${token}" in "${text}"`);
      return { kind: 'column', name: token };
    }
    throw new Error(`unexpected "${token}" in "${text}"`);
  };

  const expression = parseSum();
  if (position < tokens.length) throw new Error(`unexpected "${tokens[position]}" in "${text}"`);
  return expression;
}

/** Column names the expression reads. */
export function referencedColumns(expression: Expression): string[] {
  switch (expression.kind) {
    case 'column':
      return [expression.name];
    case 'number':
      return [];
    case 'negate':
      return referencedColumns(expression.operand);
    case 'binary':
      return [...referencedColumns(expression.left), ...referencedColumns(expression.right)];
    case 'call':
      return expression.args.flatMap(referencedColumns);
  }
}

export function evaluate(expression: Expression, valueOf: (column: string) => NumericValue): NumericValue {
  switch (expression.kind) {
    case 'number': {
      const [whole, fraction = ''] = expression.text.split('.');
      return { unscaled: BigInt(whole + fraction), scale: fraction.length };
    }
    case 'column':
      return valueOf(expression.name);
    case 'negate': {
      const value = evaluate(expression.operand, valueOf);
      if (value === null) return null;
      return typeof value === 'number' ? -value : { unscaled: -value.unscaled, scale: value.scale };
    }
    case 'call': {
      for (const arg of expression.args) {
        const value = evaluate(arg, valueOf);
        if (value !== null) return value;
      }
      return null;
    }
    case 'binary': {
      const left = evaluate(expression.left, valueOf);
      const right = evaluate(expression.right, valueOf);
      if (left === null || right === null) return null;
      if (typeof left === 'number' || typeof right === 'number') {
        return applyDouble(expression.operator, toDouble(left), toDouble(right));
      }
      return applyExact(expression.operator, left, right);
    }
  }
}

function applyDouble(operator: string, a: number, b: number): number {
  switch (operator) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    default:
      return a / b;
  }
}

function applyExact(operator: string, a: Exact, b: Exact): Exact | null {
  switch (operator) {
    case '+':
    case '-': {
      const scale = Math.max(a.scale, b.scale);
      const x = rescaleExact(a, scale);
      const y = rescaleExact(b, scale);
      return { unscaled: operator === '+' ? x + y : x - y, scale };
    }
    case '*':
      return { unscaled: a.unscaled * b.unscaled, scale: a.scale + b.scale };
    default: {
      if (b.unscaled === 0n) return null; // division by zero is null, as in SQL engines that do not raise
      // a / b at DIVISION_SCALE digits: (a.u * 10^(S + b.s - a.s)) / b.u, rounded half away from zero.
      const shift = DIVISION_SCALE + b.scale - a.scale;
      const numerator = shift >= 0 ? a.unscaled * 10n ** BigInt(shift) : a.unscaled / 10n ** BigInt(-shift);
      return { unscaled: divideRounded(numerator, b.unscaled), scale: DIVISION_SCALE };
    }
  }
}

export function toDouble(value: Exact | number): number {
  return typeof value === 'number' ? value : Number(value.unscaled) / 10 ** value.scale;
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
