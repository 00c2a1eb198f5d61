import fc from 'fast-check';
import { columnBufferFactory, StringDictionary } from '../../../src/pipeline/write/column-buffer.js';
import type { ColumnType } from '../../../src/pipeline/contract/column-type.js';
import type { RowValue } from '../../../src/pipeline/typing/typed-row.js';
import { Utf8Field } from '../../../src/pipeline/support/utf8-field.js';

const utf8 = (value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value);

function roundTrip(type: ColumnType, values: RowValue[]): unknown[] {
  const buffer = columnBufferFactory(type)();
  for (const value of values) buffer.push(value);
  expect(buffer.length).toBe(values.length);
  const taken = buffer.take();
  expect(buffer.length).toBe(0);
  return taken;
}

describe('column buffers', () => {
  it.each<[string, ColumnType, fc.Arbitrary<RowValue>]>([
    ['int', { kind: 'int' }, fc.integer()],
    ['date', { kind: 'date' }, fc.integer({ min: -719_162, max: 2_932_896 })],
    ['double', { kind: 'double' }, fc.double()],
    ['timestamp', { kind: 'timestamp' }, fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 })],
    ['boolean', { kind: 'boolean' }, fc.boolean()],
    ['bigint', { kind: 'bigint' }, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
    ['decimal(18,2)', { kind: 'decimal', precision: 18, scale: 2 }, fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n })],
    ['decimal(38,4)', { kind: 'decimal', precision: 38, scale: 4 }, fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n })],
  ])('hands %s values back exactly, nulls in place, past several growths', (_name, type, value) => {
    fc.assert(
      fc.property(fc.array(fc.option(value, { nil: null, freq: 4 }), { maxLength: 300 }), (values) => {
        expect(roundTrip(type, values)).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });

  it('hands strings back as their UTF-8 bytes, repeated or not, ASCII or not', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('Lamp', 'Café', '東京', '🚀 x')), { nil: null }), { maxLength: 300 }), (values) => {
        const taken = roundTrip({ kind: 'string' }, values);
        expect(taken.map(utf8)).toEqual(values);
        for (const bytes of taken) if (bytes !== null) expect(bytes).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 100 },
    );
  });

  it('gives every repeat of a dictionary value the same bytes object, across partitions', () => {
    const makeBuffer = columnBufferFactory({ kind: 'string' });
    const [a, b] = [makeBuffer(), makeBuffer()];
    for (const value of ['Lamp', 'Desk', 'Lamp']) a.push(value);
    b.push('Lamp');
    const [fromA, fromB] = [a.take(), b.take()];
    expect(fromA[0]).toBe(fromA[2]);
    expect(fromA[0]).toBe(fromB[0]);
  });

  it('keeps the buffer usable after take', () => {
    const buffer = columnBufferFactory({ kind: 'string' })();
    buffer.push('first');
    buffer.take();
    buffer.push(null);
    buffer.push('second');
    expect(buffer.take().map(utf8)).toEqual([null, 'second']);
  });

  it('counts the bytes each value holds, so the writer can bound memory', () => {
    const strings = columnBufferFactory({ kind: 'string' })();
    expect(strings.push('x'.repeat(100))).toBeGreaterThanOrEqual(4);
    expect(columnBufferFactory({ kind: 'bigint' })().push(1n)).toBe(8);
    expect(columnBufferFactory({ kind: 'int' })().push(1)).toBe(4);
  });
});

describe('StringDictionary', () => {
  it('keeps ids for a column that repeats and stops adding for one that does not', () => {
    const repeating = new StringDictionary();
    for (let i = 0; i < 20_000; i++) repeating.idOf(`customer ${i % 3000}`);
    expect(repeating.active).toBe(true);
    expect(repeating.bytes).toHaveLength(3000);

    const distinct = new StringDictionary();
    const ids = Array.from({ length: 20_000 }, (_, i) => distinct.idOf(`order ${i}`));
    expect(distinct.active).toBe(false);
    expect(ids.filter((id) => id >= 0).length).toBeLessThanOrEqual(4096);
    // Once it has given up, every value is stored as bytes, even one it holds.
    expect(distinct.idOf('order 0')).toBe(-1);
  });
});

describe('values as bytes (the CSV byte lane)', () => {
  const value = fc.oneof(fc.constantFrom('a', 'Café', 'x', '', '𝄞'), fc.string({ unit: 'grapheme', maxLength: 6 }));
  const field = (text: string) => {
    // The value amid other bytes, as a field sits in a read buffer.
    const bytes = Buffer.from(`,,${text},`, 'utf8');
    return Object.assign(new Utf8Field(), { bytes, start: 2, end: bytes.length - 1 });
  };

  it('get the ids their text gets, whichever way each value is looked up, and the same giving-up', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.boolean()), { maxLength: 400 }), (lookups) => {
        const byText = new StringDictionary();
        const mixed = new StringDictionary();
        for (const [text, asBytes] of lookups) {
          const { bytes, start, end } = field(text);
          expect(asBytes ? mixed.idOfBytes(bytes, start, end) : mixed.idOf(text)).toBe(byText.idOf(text));
        }
        expect(mixed.bytes).toEqual(byText.bytes);
        expect(mixed.active).toBe(byText.active);
      }),
    );
  });

  it('give up as their text does on a column that does not repeat', () => {
    const dictionary = new StringDictionary();
    for (let i = 0; i < 20_000; i++) {
      const { bytes, start, end } = field(`order ${i}`);
      dictionary.idOfBytes(bytes, start, end);
    }
    expect(dictionary.active).toBe(false);
    expect(dictionary.bytes.length).toBeLessThanOrEqual(4096);
  });

  it('are handed back from a string buffer as the text they hold, stored by id or in the block', () => {
    fc.assert(
      fc.property(fc.array(fc.option(value, { nil: null }), { maxLength: 300 }), fc.boolean(), (values, distinct) => {
        const buffer = columnBufferFactory({ kind: 'string' })();
        const texts = values.map((v, i) => (v === null ? null : distinct ? `${v}${i}` : v));
        texts.forEach((text, i) => buffer.push(text === null ? null : i % 2 ? field(text) : text));
        expect(buffer.take().map(utf8)).toEqual(texts);
      }),
    );
  });
});
