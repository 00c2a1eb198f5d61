import fc from 'fast-check';
import { formatCount } from '../../src/cli/format.js';

describe('formatCount', () => {
  it('writes a count as en-US does, digits grouped by three', () => {
    expect([0, 7, 999, 1000, 20_000, 1_234_567, -1_234].map(formatCount)).toEqual(['0', '7', '999', '1,000', '20,000', '1,234,567', '-1,234']);
    fc.assert(fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true }), fc.constant(-0)), (n) => formatCount(n) === n.toLocaleString('en-US')));
  });
});
