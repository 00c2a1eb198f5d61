import fc from 'fast-check';
import { encodeUtf8Into, withRoom } from '../../../src/pipeline/support/typed-arrays.js';

describe('withRoom', () => {
  it('returns the array itself while it has room, else a doubled copy of what is used', () => {
    const small = Int32Array.from([1, 2, 3]);
    expect(withRoom(small, 3)).toBe(small);
    const grown = withRoom(small, 4, 2);
    expect(grown).toBeInstanceOf(Int32Array);
    expect(grown.length).toBe(8);
    expect(withRoom(new Uint8Array(0), 1).length).toBe(8);
    expect([...grown.subarray(0, 3)]).toEqual([1, 2, 0]);
    const big = withRoom(new BigInt64Array(100).fill(7n), 1000);
    expect(big.length).toBe(1600);
    expect(big[99]).toBe(7n);
  });
});

describe('encodeUtf8Into', () => {
  it('writes exactly what Buffer.from writes, at any offset', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' })), fc.nat(8), (text, at) => {
        const target = new Uint8Array(at + text.length * 3);
        const written = encodeUtf8Into(text, target, at);
        expect(Buffer.from(target.subarray(at, at + written)).equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
