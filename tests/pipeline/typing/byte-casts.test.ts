import fc from 'fast-check';
import { byteCastFor, DECLINED } from '../../../src/pipeline/typing/byte-casts.js';
import { casterFor } from '../../../src/pipeline/typing/cast.js';
import type { ColumnType } from '../../../src/pipeline/contract/column-type.js';

/**
 * The byte casts against cast.ts: on any text a byte cast either declines or gives what cast.ts gives, and it takes the
 * plain forms of the common case itself (the byte lane only gains if it does).
 */

const noisy = fc.oneof(
  fc.stringMatching(/^[+-]?0{0,3}\d{0,20}(\.\d{0,5})?$/),
  fc.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
  fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '+', '.', ' ', 'e', '/', '١'), maxLength: 12 }),
  fc.constantFrom('', '-', '+', '.', '-0', '2147483648', '-2147483648', '9223372036854775807', '2024-02-29', '2023-02-29', '0000-00-00'),
);

const TYPES: Array<[string, ColumnType, RegExp]> = [
  ['int', { kind: 'int' }, /^-?[1-9]\d{0,8}$/],
  ['bigint', { kind: 'bigint' }, /^-?[1-9]\d{0,14}$/],
  ['decimal(10,2)', { kind: 'decimal', precision: 10, scale: 2 }, /^-?[1-9]\d{0,7}\.\d{2}$/],
  ['decimal(38,6)', { kind: 'decimal', precision: 38, scale: 6 }, /^-?\d{1,9}\.\d{1,6}$/],
  ['date', { kind: 'date' }, /^20\d\d-0[1-9]-[01][1-9]$/],
];

describe.each(TYPES)('%s from bytes', (_name, type, plain) => {
  const fromBytes = byteCastFor(type)!;
  const fromText = casterFor(type);
  const cast = (text: string) => {
    const bytes = Buffer.from(`;${text};`, 'utf8');
    return fromBytes(bytes, 1, bytes.length - 1);
  };

  it('declines or agrees with cast.ts', () => {
    fc.assert(
      fc.property(noisy, (text) => {
        const value = cast(text);
        if (value !== DECLINED) expect(value).toBe(fromText(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the plain forms itself', () => {
    fc.assert(
      fc.property(fc.stringMatching(plain), (text) => {
        expect(cast(text)).toBe(fromText(text));
      }),
    );
  });
});

it('leaves other types and date formats to cast.ts', () => {
  expect(byteCastFor({ kind: 'double' })).toBeUndefined();
  expect(byteCastFor({ kind: 'string' })).toBeUndefined();
  expect(byteCastFor({ kind: 'date' }, { format: 'dd.MM.yyyy' })).toBeUndefined();
});
