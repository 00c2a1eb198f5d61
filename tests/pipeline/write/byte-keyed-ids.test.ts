import fc from 'fast-check';
import { ByteKeyedIds } from '../../../src/pipeline/write/byte-keyed-ids.js';
import { fnv1a } from '../../../src/pipeline/support/byte-hash.js';

it('finds the id of every key added, by its bytes anywhere in a buffer, and no other', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 3000 }), (values) => {
      const keys: Uint8Array[] = [];
      const ids = new ByteKeyedIds(keys);
      const reference = new Map<string, number>();
      for (const value of values) {
        // The value amid other bytes, as a field sits in a read buffer.
        const buffer = Buffer.concat([Buffer.from([1, 2]), value, Buffer.from([3])]);
        const hash = fnv1a(buffer, 2, 2 + value.length);
        expect(hash).toBe(fnv1a(value, 0, value.length));
        const known = reference.get(Buffer.from(value).toString('hex'));
        expect(ids.find(hash, buffer, 2, 2 + value.length)).toBe(known ?? -1);
        if (known === undefined) {
          reference.set(Buffer.from(value).toString('hex'), keys.length);
          keys.push(Uint8Array.from(value));
          ids.add(hash);
        }
      }
    }),
    { numRuns: 50 },
  );
});
