import { encodeUtf8Into, withRoom } from '../support/typed-arrays.js';
import { fnv1a } from '../support/byte-hash.js';

/**
 * A set of integer keys (each a safe integer) with the line each was first seen on, held in as little memory as the
 * keys allow. Ids are usually dense — sequential or nearly so — and then a key costs 4 bytes: its line in a block of
 * consecutive keys, found by arithmetic. Once the keys turn out sparse (blocks mostly empty), every key moves to a
 * hash set, where one costs 11–32 bytes whatever the spread.
 */
export class IntegerKeySet {
  private blocks: Map<number, Uint32Array> | undefined = new Map();
  private hashed: IntegerHashSet | undefined;
  private count = 0;
  /** The block used last: runs of nearby keys skip the map. */
  private lastBlock = NaN;
  private lastLines: Uint32Array | undefined;

  constructor(private readonly initialHashCapacity = 1 << 16) {}

  get size(): number {
    return this.hashed ? this.hashed.size : this.count;
  }

  /** Bytes the keys take. */
  get bytes(): number {
    return this.hashed ? this.hashed.bytes : this.blocks!.size * BLOCK_KEYS * 4;
  }

  /** The line `key` was first seen on, or 0. */
  lineOf(key: number): number {
    if (this.hashed) return this.hashed.lineOf(key);
    if (!Number.isSafeInteger(key)) return 0;
    const block = Math.floor(key / BLOCK_KEYS);
    const lines = block === this.lastBlock ? this.lastLines : this.blocks!.get(block);
    return lines ? lines[key - block * BLOCK_KEYS]! : 0;
  }

  /** The line `key` was first seen on; or, when it is new, records it with `line` (1 ≤ line < 2^32) and returns 0. */
  firstLineOrAdd(key: number, line: number): number {
    if (this.hashed) return this.hashed.firstLineOrAdd(key, line);
    const block = Math.floor(key / BLOCK_KEYS);
    let lines = block === this.lastBlock ? this.lastLines : this.blocks!.get(block);
    if (!lines) {
      if ((this.blocks!.size + 1) * BLOCK_KEYS > this.count * DENSE_KEYS_PER_KEY && this.blocks!.size >= MIN_BLOCKS_JUDGED) {
        this.moveToHashSet();
        return this.hashed!.firstLineOrAdd(key, line);
      }
      lines = new Uint32Array(BLOCK_KEYS);
      this.blocks!.set(block, lines);
    }
    this.lastBlock = block;
    this.lastLines = lines;
    const slot = key - block * BLOCK_KEYS;
    const seen = lines[slot]!;
    if (seen !== 0) return seen;
    lines[slot] = line;
    this.count++;
    return 0;
  }

  private moveToHashSet(): void {
    const hashed = new IntegerHashSet(Math.max(this.initialHashCapacity, (this.count * 4) / 3));
    for (const [block, lines] of this.blocks!) {
      for (let slot = 0; slot < BLOCK_KEYS; slot++) {
        if (lines[slot] !== 0) hashed.firstLineOrAdd(block * BLOCK_KEYS + slot, lines[slot]!);
      }
    }
    this.hashed = hashed;
    this.blocks = undefined;
    this.lastLines = undefined;
  }
}

/** Keys per block: 16 KiB of lines. */
const BLOCK_KEYS = 4096;
/**
 * Blocks stay while they hold at least one key in this many slots: 4 bytes a slot, so at most 16 bytes a key, about
 * what the hash set costs.
 */
const DENSE_KEYS_PER_KEY = 4;
/** Sparse keys are not judged on the first few blocks: a file's first ids can be anywhere. */
const MIN_BLOCKS_JUDGED = 16;

/**
 * The hash set behind IntegerKeySet for sparse keys, in typed arrays: an open-addressing hash table with no object or
 * string per key. A slot is 8 bytes (Int32Array keys, Uint32Array lines) while every key
 * fits in 32 bits — ids usually do — and 12 bytes (Float64Array keys) from the first key that does not. Exact: keys are
 * compared by value, the hash only chooses where to look.
 */
export class IntegerHashSet {
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

  get bytes(): number {
    return this.keys.byteLength + this.lines.byteLength;
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

/**
 * A set of string keys with the line each was first seen on, for keys that are not integers (codes, UUIDs, compound
 * keys). Each key's UTF-8 bytes are copied into one growing block, and an open-addressing table of typed arrays points
 * into it: 27–53 bytes a key plus the key's own bytes (up to twice, as the block doubles), against 130 or more for a
 * `Map` entry and its string — and no string is kept, so nothing holds on to the CSV text a field was cut from (V8
 * keeps a sliced string's whole parent alive). Exact: bytes are compared, the hash only
 * chooses where to look.
 */
export class StringKeySet {
  private bytes = new Uint8Array(1 << 16);
  private bytesUsed = 0;
  /** Per slot: the key's hash, where its bytes start and how many, and its first line (0: an empty slot). */
  private hashes: Int32Array;
  private starts: Uint32Array;
  private lengths: Uint32Array;
  private lines: Float64Array;
  private mask: number;
  private count = 0;
  /** The key being looked up, as UTF-8. */
  private scratch = new Uint8Array(256);

  constructor(initialCapacity = 1 << 12) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hashes = new Int32Array(capacity);
    this.starts = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.lines = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the keys take. */
  get bytesHeld(): number {
    return this.bytes.byteLength + (this.mask + 1) * 20;
  }

  /** The line `key` was first seen on; or, when it is new, records it with `line` (≥ 1) and returns 0. */
  firstLineOrAdd(key: string, line: number): number {
    const length = this.encode(key);
    const { scratch, hashes, starts, lengths, lines, mask, bytes } = this;
    const keyHash = hashBytes(scratch, length);
    let slot = keyHash & mask;
    for (; lines[slot] !== 0; slot = (slot + 1) & mask) {
      if (hashes[slot] !== keyHash || lengths[slot] !== length) continue;
      const start = starts[slot]!;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (bytes[start + i] !== scratch[i]) {
          same = false;
          break;
        }
      }
      if (same) return lines[slot]!;
    }
    const start = this.store(length);
    hashes[slot] = keyHash;
    starts[slot] = start;
    lengths[slot] = length;
    lines[slot] = line;
    if (++this.count * 4 > (mask + 1) * 3) this.rebuild((mask + 1) * 2);
    return 0;
  }

  /** UTF-8 of `key` into `scratch`; returns its length. */
  private encode(key: string): number {
    if (key.length * 3 > this.scratch.length) this.scratch = new Uint8Array(key.length * 3);
    return encodeUtf8Into(key, this.scratch, 0);
  }

  /** Copies the scratch bytes into the block; returns where they start. */
  private store(length: number): number {
    this.bytes = withRoom(this.bytes, this.bytesUsed + length, this.bytesUsed);
    const start = this.bytesUsed;
    this.bytes.set(this.scratch.subarray(0, length), start);
    this.bytesUsed += length;
    return start;
  }

  private rebuild(capacity: number): void {
    const { hashes, starts, lengths, lines } = this;
    this.hashes = new Int32Array(capacity);
    this.starts = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.lines = new Float64Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === 0) continue;
      let slot = hashes[i]! & this.mask;
      while (this.lines[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hashes[slot] = hashes[i]!;
      this.starts[slot] = starts[i]!;
      this.lengths[slot] = lengths[i]!;
      this.lines[slot] = lines[i]!;
    }
  }
}

/** FNV-1a over the bytes, finished with murmur3's mixer so that keys differing in their last byte spread well. */
function hashBytes(bytes: Uint8Array, length: number): number {
  let h = fnv1a(bytes, 0, length);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h ^ (h >>> 16);
}
