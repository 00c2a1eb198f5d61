/**
 * A set of integer keys (each a safe integer) with the line each was first seen on, in typed arrays: an open-addressing
 * hash table of 12 bytes a slot (a Float64Array of keys, a Uint32Array of lines), no object or string per key. Exact:
 * keys are compared by value, the hash only chooses where to look.
 */
export class IntegerKeySet {
  private keys: Float64Array;
  /** 0 marks an empty slot: source lines start at 1. */
  private lines: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.keys = new Float64Array(capacity);
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
    // Grow at 3/4 load: 16–32 bytes a key, probes stay short.
    if (++this.count * 4 > (mask + 1) * 3) this.grow();
    return 0;
  }

  private grow(): void {
    const { keys, lines } = this;
    const capacity = keys.length * 2;
    this.keys = new Float64Array(capacity);
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
