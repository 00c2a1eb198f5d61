import fc from 'fast-check';
import { CAST_FAILED, castDecimal, casterFor } from '../../../src/pipeline/typing/cast.js';
import { compileExact } from '../../../src/pipeline/typing/compiled-expression.js';
import { evaluate, ExpressionError, fromTyped, parseExpression, toTyped } from '../../../src/pipeline/typing/expression.js';
import { parseColumnType, type ColumnType } from '../../../src/pipeline/contract/column-type.js';

/**
 * The fast paths (character-scanning casts, compiled derived expressions) against the straightforward definitions they
 * replace: the regex-and-BigInt decimal cast, `Date` for calendar dates, and the tree-walking evaluator.
 */

function referenceDecimal(text: string, precision: number, scale: number): bigint | typeof CAST_FAILED {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
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

function referenceDate(text: string): number | typeof CAST_FAILED {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!match) return CAST_FAILED;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (m < 1 || m > 12 || d < 1 || d > 31) return CAST_FAILED;
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return date.getUTCDate() === d && date.getUTCMonth() === m - 1 ? date.getTime() / 86_400_000 : CAST_FAILED;
}

const digitText = fc.stringMatching(/^[ ]?[+-]?0{0,3}\d{0,22}(\.\d{0,6}0{0,3})?[ ]?$/);
const noisy = fc.oneof(digitText, fc.string({ maxLength: 12 }), fc.constantFrom('.', '-', '+', '', '1e5', '١٢', '1.', '.5', '-0', '00.00'));

describe('fast casts agree with their definitions', () => {
  it('decimal', () => {
    fc.assert(
      fc.property(noisy, fc.integer({ min: 1, max: 38 }), fc.integer({ min: 0, max: 6 }), (text, precision, scale) => {
        if (scale > precision) return;
        expect(castDecimal(text, precision, scale)).toBe(referenceDecimal(text, precision, scale));
      }),
      { numRuns: 20_000 },
    );
  });

  it('int and bigint', () => {
    const castInt = casterFor({ kind: 'int' });
    const castBigint = casterFor({ kind: 'bigint' });
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[ ]?[+-]?0{0,2}\d{0,21}[ ]?$/), fc.string({ maxLength: 8 })), (text) => {
        const t = text.trim();
        const ok = /^[+-]?\d+$/.test(t);
        const n = Number(t);
        expect(castInt(text)).toBe(ok && n >= -2147483648 && n <= 2147483647 ? n : CAST_FAILED);
        const big = ok ? BigInt(t) : undefined;
        expect(castBigint(text)).toBe(big !== undefined && big >= -(2n ** 63n) && big < 2n ** 63n ? big : CAST_FAILED);
      }),
      { numRuns: 20_000 },
    );
  });

  it('date, over every day of 0000..9999 edges and random text', () => {
    const castDate = casterFor({ kind: 'date' });
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (y, m, d) => {
        const text = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
        expect(castDate(text)).toBe(referenceDate(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['2024-02-29', '2023-02-29', '1900-02-29', '2000-02-29', ' 2024-03-01', '2024-3-01', '2024-03-01x', '']) {
      expect(castDate(text)).toBe(referenceDate(text));
    }
  });
});

describe('compiled derived expressions agree with the evaluator', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['quantity * price', { quantity: 'int', price: 'decimal(10,2)' }, 'decimal(18,2)'],
    ['quantity * price', { quantity: 'int', price: 'decimal(10,2)' }, 'decimal(6,2)'],
    ['a + b - 1.5', { a: 'bigint', b: 'decimal(12,3)' }, 'decimal(20,4)'],
    ['-a * b + 2', { a: 'int', b: 'int' }, 'int'],
    ['a * b * b', { a: 'bigint', b: 'decimal(18,6)' }, 'decimal(38,12)'],
    ['a * b', { a: 'bigint', b: 'bigint' }, 'bigint'],
  ];
  const valueOf = (type: ColumnType) =>
    type.kind === 'int'
      ? fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }), fc.integer({ min: -9, max: 9 }), fc.constant(null))
      : fc.oneof(
          fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }),
          fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
          fc.constant(null),
        );
  it.each(cases)('%s over %j into %s', (text, columns, target) => {
    const names = Object.keys(columns);
    const types = names.map((n) => parseColumnType(columns[n]!) as ColumnType);
    const expression = parseExpression(text, (n) => names.includes(n));
    const type = parseColumnType(target) as ColumnType;
    const compiled = compileExact(expression, (n) => ({ index: names.indexOf(n), type: types[names.indexOf(n)]! }), type)!;
    expect(compiled).toBeDefined();
    fc.assert(
      fc.property(fc.tuple(...types.map(valueOf)), (row) => {
        let expected: unknown;
        try {
          const value = evaluate(expression, (n) => fromTyped(row[names.indexOf(n)]!, types[names.indexOf(n)]!));
          expected = value === null ? null : toTyped(value, type);
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          expected = 'error';
        }
        const fast = compiled(row);
        // undefined: the compiled path declines and the evaluator decides.
        if (fast !== undefined) expect(fast).toStrictEqual(expected);
      }),
      { numRuns: 5_000 },
    );
  });
});
