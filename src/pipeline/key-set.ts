/**
 * A set of integer keys (each a safe integer) with the line each was first seen on, in typed arrays: an open-addressing
 * hash table with no object or string per key. A slot is 8 bytes (Int32Array keys, Uint32Array lines) while every key
 * fits in 32 bits — ids usually do — and 12 bytes (Float64Array keys) from the first key that does not. Exact: keys are
 * compared by value, the hash only chooses where to look.
 */
export class IntegerKeySet {
  private keys: Int32Array | Float64Array;
  /** 0 marks an empty slot: source lines start at 1. */
  private lines: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.keys = new Int32Array(capacity);
    this.lines = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The line `key` was first seen on, or 0. */
  lineOf(key: number): number {
    const { keys, lines, mask } = this;
    for (let slot = hash(key) & mask; lines[slot] !== 0; slot = (slot + 1) & mask) {
      if (keys[slot] === key) return lines[slot]!;
    }
    return 0;
  }

  /** The line `key` was first seen on; or, when it is new, records it with `line` (1 ≤ line < 2^32) and returns 0. */
  firstLineOrAdd(key: number, line: number): number {
    if ((key | 0) !== key && this.keys instanceof Int32Array) this.rebuild(this.keys.length, true);
    const { keys, lines, mask } = this;
    let slot = hash(key) & mask;
    for (;;) {
      const seen = lines[slot]!;
      if (seen === 0) break;
      if (keys[slot] === key) return seen;
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    lines[slot] = line;
    // Grow at 3/4 load: 11–21 bytes a 32-bit key, 16–32 a wider one; probes stay short.
    if (++this.count * 4 > (mask + 1) * 3) this.rebuild(keys.length * 2, keys instanceof Float64Array);
    return 0;
  }

  private rebuild(capacity: number, wide: boolean): void {
    const { keys, lines } = this;
    this.keys = wide ? new Float64Array(capacity) : new Int32Array(capacity);
    this.lines = new Uint32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < keys.length; i++) {
      const line = lines[i]!;
      if (line === 0) continue;
      let slot = hash(keys[i]!) & this.mask;
      while (this.lines[slot] !== 0) slot = (slot + 1) & this.mask;
      this.keys[slot] = keys[i]!;
      this.lines[slot] = line;
    }
  }
}

/** Mixes both 32-bit halves of a safe integer (murmur3's finaliser), so sequential ids spread over the table. */
function hash(key: number): number {
  const low = key >>> 0;
  const high = Math.floor(key / 4294967296) | 0;
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
