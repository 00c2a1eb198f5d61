import { DuplicateKeyCheck } from '../../../src/pipeline/checks/rules.js';
import fc from 'fast-check';
import { IntegerHashSet, IntegerKeySet, StringKeySet } from '../../../src/pipeline/checks/key-set.js';

/**
 * Checks run in plain loops and report the first disagreement once: an `expect` per key cost most of this file's time.
 * Sizes are the smallest that still grow every structure several times; the million-key figure is `tsx bench/key-set.ts`.
 */
function firstMismatch<T>(count: number, actual: (i: number) => T, expected: (i: number) => T): string | undefined {
  for (let i = 0; i < count; i++) {
    const a = actual(i);
    const e = expected(i);
    if (a !== e) return `at ${i}: got ${String(a)}, expected ${String(e)}`;
  }
  return undefined;
}

describe('IntegerKeySet', () => {
  it('agrees with a Map on random keys, through growth, negative and large safe integers', () => {
    const set = new IntegerKeySet(16);
    const reference = new Map<number, number>();
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    const pool = [0, -1, 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 4294967295, 4294967296 + 5];
    const keys: number[] = [];
    for (let line = 1; line <= 60_000; line++) {
      const r = next();
      keys.push(r % 10 === 0 ? pool[r % pool.length]! : r % 3 === 0 ? -(r % 15_000) : (r % 45_000) * 4294967296 + (r % 7));
    }
    const mismatch = firstMismatch(
      keys.length,
      (i) => set.firstLineOrAdd(keys[i]!, i + 1),
      (i) => {
        const expected = reference.get(keys[i]!) ?? 0;
        if (expected === 0) reference.set(keys[i]!, i + 1);
        return expected;
      },
    );
    expect(mismatch).toBeUndefined();
    expect(set.size).toBe(reference.size);
    const entries = [...reference];
    expect(firstMismatch(entries.length, (i) => set.lineOf(entries[i]![0]), (i) => entries[i]![1])).toBeUndefined();
    expect(set.lineOf(123.5)).toBe(0);
  });

  it('holds dense ids in blocks at 4 bytes a key, in any order, and finds every one', () => {
    const set = new IntegerKeySet();
    const ids = Array.from({ length: 100_000 }, (_, i) => 1_000_000_000_000 + i);
    // Shuffled within windows of 1000, as orders exported by several shop servers arrive.
    for (let w = 0; w < ids.length; w += 1000) ids.splice(w, 1000, ...ids.slice(w, w + 1000).reverse());
    expect(firstMismatch(ids.length, (i) => set.firstLineOrAdd(ids[i]!, i + 1), () => 0)).toBeUndefined();
    expect(set.size).toBe(100_000);
    expect(set.bytes).toBeLessThan(100_000 * 5);
    expect(firstMismatch(ids.length, (i) => set.firstLineOrAdd(ids[i]!, 999_999), (i) => i + 1)).toBeUndefined();
    expect(set.lineOf(1_000_000_000_000 - 1)).toBe(0);
  });

  it('moves sparse keys to a hash set without losing one', () => {
    const set = new IntegerKeySet(16);
    const keys = Array.from({ length: 50_000 }, (_, i) => i * 1_000_003 - 7);
    expect(firstMismatch(keys.length, (i) => set.firstLineOrAdd(keys[i]!, i + 1), () => 0)).toBeUndefined();
    expect(set.bytes).toBeLessThan(50_000 * 40);
    expect(firstMismatch(keys.length, (i) => set.lineOf(keys[i]!), (i) => i + 1)).toBeUndefined();
  });

  it('hash set: keeps 32-bit keys narrow until a wider one arrives, then still finds them all', () => {
    const set = new IntegerHashSet(16);
    for (let i = 0; i < 1000; i++) expect(set.firstLineOrAdd(i * 3 - 1500, i + 1)).toBe(0);
    expect(set.firstLineOrAdd(-0, 5000)).toBe(501);
    expect(set.firstLineOrAdd(2 ** 40, 5001)).toBe(0);
    for (let i = 0; i < 1000; i++) expect(set.firstLineOrAdd(i * 3 - 1500, 9999)).toBe(i + 1);
    expect(set.firstLineOrAdd(2 ** 40, 6000)).toBe(5001);
    expect(set.firstLineOrAdd(2 ** 31, 6001)).toBe(0);
    expect(set.lineOf(2 ** 31)).toBe(6001);
  });
});

describe('StringKeySet', () => {
  it('agrees with a Map on any strings, through growth, long and non-ASCII keys included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ minLength: 200, maxLength: 600 })), {
          maxLength: 3000,
        }),
        (keys) => {
          const set = new StringKeySet(16);
          const reference = new Map<string, number>();
          keys.forEach((key, i) => {
            const expected = reference.get(key) ?? 0;
            if (expected === 0) reference.set(key, i + 1);
            expect(set.firstLineOrAdd(key, i + 1)).toBe(expected);
          });
          expect(set.size).toBe(reference.size);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('holds 100,000 order codes in under 100 bytes each (a Map takes 130 or more)', () => {
    const set = new StringKeySet();
    for (let i = 0; i < 100_000; i++) set.firstLineOrAdd(`ORD-2024-${String(i).padStart(9, '0')}`, i + 1);
    expect(set.firstLineOrAdd('ORD-2024-000012345', 5)).toBe(12_346);
    expect(set.bytesHeld / set.size).toBeLessThan(100);
  });
});

describe('DuplicateKeyCheck', () => {
  it('names the first line for integer, big, string and compound keys', () => {
    const single = new DuplicateKeyCheck([0]);
    expect(single.firstLineOf([5n], 2)).toBeUndefined();
    expect(single.firstLineOf([2n ** 60n], 3)).toBeUndefined();
    expect(single.firstLineOf([5n], 4)).toBe(2);
    expect(single.firstLineOf([2n ** 60n], 5)).toBe(3);
    expect(single.firstLineOf([2n ** 60n + 1n], 6)).toBeUndefined();
    const text = new DuplicateKeyCheck([0]);
    expect(text.firstLineOf(['a'], 2)).toBeUndefined();
    expect(text.firstLineOf(['a'], 9)).toBe(2);
    const compound = new DuplicateKeyCheck([0, 1]);
    expect(compound.firstLineOf([1, 'x'], 2)).toBeUndefined();
    expect(compound.firstLineOf([1, 'y'], 3)).toBeUndefined();
    expect(compound.firstLineOf([1, 'x'], 4)).toBe(2);
  });
});
