import fc from 'fast-check';
import { parseJsonObjectFast } from '../../../src/pipeline/read/json-fast-parse.js';
import { NumberText, parseJsonExact } from '../../../src/pipeline/read/jsonl.js';

const numberText = (text: string) => new NumberText(text);
const fast = (text: string) => parseJsonObjectFast(text, numberText);

describe('parseJsonObjectFast', () => {
  it('reads a flat record as the exact parser does, numbers kept as written', () => {
    const text = '{"order_id":100004,"price":109.0,"ratio":-3e-7,"big":12345678901234567890,"note":"call \\"Anna\\"","gone":null,"ok":true}';
    expect(fast(text)).toEqual(parseJsonExact(text));
    expect((fast(text)!.price as NumberText).text).toBe('109.0');
    expect((fast(text)!.big as NumberText).text).toBe('12345678901234567890');
  });

  it('matches numbers to their texts through nested objects and arrays', () => {
    const text = '{"a":[1.50,{"b":[2,-0,{"c":1E5}]}],"d":{"e":[[7]],"f":0.10}}';
    expect(fast(text)).toEqual(parseJsonExact(text));
  });

  it.each([
    ['a duplicate key (the exact parser refuses it)', '{"a":1,"a":2}'],
    ['a duplicate nested key', '{"a":{"b":1,"b":1}}'],
    ['an array-index key (V8 lists it first)', '{"b":1,"1":2}'],
    ['an escaped key', '{"\\u0031":1,"b":2.0}'],
    ['__proto__', '{"__proto__":{"a":1}}'],
    ['deep nesting', `{"a":${'['.repeat(100)}${']'.repeat(100)}}`],
    ['malformed JSON', '{"a":1,}'],
    ['a truncated record', '{"a":"b'],
    ['an array', '[1,2]'],
    ['a bare value', '42'],
  ])('leaves %s to the exact parser', (_what, text) => {
    expect(fast(text)).toBeUndefined();
  });

  it('never reads a record otherwise than the exact parser (property)', () => {
    const key = fc.oneof(fc.constantFrom('a', 'b', 'c', '1', '01', 'price', '__proto__', 'a b', 'é', 'x"y'), fc.string({ maxLength: 4 }));
    const number = fc.oneof(
      fc.integer().map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      fc.constantFrom('1.0', '1.50', '-0', '1E5', '1e-7', '12345678901234567890', '0.1', '2.5e+300'),
    );
    const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        number,
        fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
        fc.constantFrom('true', 'false', 'null'),
        fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
        fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
      ),
    })).value;
    const record = fc
      .array(fc.tuple(key, value, fc.constantFrom('', ' ', '\t')), { maxLength: 6 })
      .map((entries) => `{${entries.map(([k, v, space]) => `${JSON.stringify(k)}${space}:${space}${v}`).join(',')}}`);
    let taken = 0;
    fc.assert(
      fc.property(record, (text) => {
        const result = fast(text);
        if (result === undefined) return;
        taken++;
        expect(result).toEqual(parseJsonExact(text));
      }),
      { numRuns: 3000 },
    );
    // The property says something only if the fast path is taken often.
    expect(taken).toBeGreaterThan(600);
  });
});
