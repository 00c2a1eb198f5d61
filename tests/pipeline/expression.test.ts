import { evaluate, parseExpression, type NumericValue } from '../../src/pipeline/expression.js';

const columns = new Set(['quantity', 'price', 'discount', 'rate']);
const parse = (text: string) => parseExpression(text, (name) => columns.has(name));

describe('derived-column expressions', () => {
  const values: Record<string, NumericValue> = {
    quantity: { unscaled: 3n, scale: 0 },
    price: { unscaled: 1234567890123456n, scale: 2 },
    discount: null,
    rate: 0.5,
  };
  const run = (text: string) => evaluate(parse(text), (name) => values[name]!);

  it('multiplies exactly, with no float rounding', () => {
    expect(run('quantity * price')).toEqual({ unscaled: 3703703670370368n, scale: 2 });
  });

  it('respects precedence and parentheses', () => {
    expect(run('1 + 2 * 3')).toEqual({ unscaled: 7n, scale: 0 });
    expect(run('(1 + 2) * 3')).toEqual({ unscaled: 9n, scale: 0 });
    expect(run('-quantity + 0.5')).toEqual({ unscaled: -25n, scale: 1 });
  });

  it('propagates null and coalesces it', () => {
    expect(run('quantity * discount')).toBeNull();
    expect(run('coalesce(discount, 0) + 1')).toEqual({ unscaled: 1n, scale: 0 });
  });

  it('falls back to double arithmetic when a double is involved', () => {
    expect(run('quantity * rate')).toBe(1.5);
  });

  it('divides to a fixed scale and yields null on division by zero', () => {
    expect(run('1 / 3')).toEqual({ unscaled: 333333333333n, scale: 12 });
    expect(run('quantity / 0')).toBeNull();
  });

  it('never evaluates arbitrary code', () => {
    expect(() => parse('process.exit(1)')).toThrow(/unexpected/);
    expect(() => parse('require("fs")')).toThrow();
    expect(() => parse('eval(1)')).toThrow(/unknown function "eval"/);
  });
});
