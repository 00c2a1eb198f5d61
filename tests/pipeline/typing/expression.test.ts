import { evaluate, ExpressionError, parseExpression, toTyped, type Value } from '../../../src/pipeline/typing/expression.js';

const columns = new Set(['quantity', 'price', 'discount', 'rate', 'name', 'shipped', 'placed']);
const parse = (text: string) => parseExpression(text, (name) => columns.has(name));

const exact = (unscaled: bigint, scale = 0): Value => ({ k: 'exact', unscaled, scale });

describe('derived-column expressions', () => {
  const values: Record<string, Value> = {
    quantity: exact(3n),
    price: exact(1234567890123456n, 2),
    discount: null,
    rate: { k: 'double', v: 0.5 },
    name: { k: 'string', v: 'Desk Lamp' },
    shipped: { k: 'date', days: 19782 }, // 2024-02-29
    placed: { k: 'timestamp', ms: Date.UTC(2024, 1, 27, 22, 30) },
  };
  const run = (text: string) => evaluate(parse(text), (name) => values[name]!);

  it('multiplies exactly, with no float rounding', () => {
    expect(run('quantity * price')).toEqual(exact(3703703670370368n, 2));
    expect(toTyped(run('quantity * price')!, { kind: 'decimal', precision: 18, scale: 2 })).toBe(3703703670370368n);
  });

  it('respects precedence and parentheses', () => {
    expect(run('1 + 2 * 3')).toEqual(exact(7n));
    expect(run('(1 + 2) * 3')).toEqual(exact(9n));
    expect(run('-quantity + 0.5')).toEqual(exact(-25n, 1));
  });

  it('propagates null and coalesces it', () => {
    expect(run('quantity * discount')).toBeNull();
    expect(run('coalesce(discount, 0) + 1')).toEqual(exact(1n));
  });

  it('falls back to double arithmetic when a double is involved', () => {
    expect(run('quantity * rate')).toEqual({ k: 'double', v: 1.5 });
  });

  it('divides to a fixed scale and yields null on division by zero', () => {
    expect(run('1 / 3')).toEqual(exact(333333333333n, 12));
    expect(run('quantity / 0')).toBeNull();
  });

  it('compares, combines with and/or/not', () => {
    expect(run('quantity > 2 and price < 100000000000000')).toEqual({ k: 'boolean', v: true });
    expect(run("not (name = 'Desk Lamp') or quantity <> 3")).toEqual({ k: 'boolean', v: false });
    expect(run('shipped > placed')).toEqual({ k: 'boolean', v: true });
  });

  it('has string functions, date parts and casts', () => {
    expect(run('upper(name)')).toEqual({ k: 'string', v: 'DESK LAMP' });
    expect(run("lower('ÄB')")).toEqual({ k: 'string', v: 'äb' });
    expect(run('length(trim(name))')).toEqual(exact(9n));
    expect([run('year(shipped)'), run('month(shipped)'), run('day(placed)')]).toEqual([exact(2024n), exact(2n), exact(27n)]);
    expect(run("cast('2024-03-01' as date)")).toEqual({ k: 'date', days: 19783 });
    expect(() => run('cast(price as int)')).toThrow(ExpressionError);
    expect(run('round(2.345, 2)')).toEqual(exact(235n, 2));
    expect(run('abs(-quantity)')).toEqual(exact(3n));
  });

  it('reports type errors as ExpressionError, for quarantine', () => {
    expect(() => run('name * 2')).toThrow(/cannot compute string \* exact/);
    expect(() => run('upper(quantity)')).toThrow(/expected a string/);
  });

  it('never evaluates arbitrary code', () => {
    expect(() => parse('process.exit(1)')).toThrow(/unexpected/);
    expect(() => parse('require("fs")')).toThrow();
    expect(() => parse('eval(1)')).toThrow(/unknown function "eval"/);
    expect(() => parse('constructor')).toThrow(/unknown column "constructor"/);
  });
});
