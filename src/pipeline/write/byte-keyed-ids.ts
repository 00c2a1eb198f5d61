import { withRoom } from '../support/typed-arrays.js';

/**
 * Ids of byte strings found by their bytes, without making a string of them: an open-addressed table of FNV-1a
 * hashes beside the keys themselves (`keys[id]`, owned by the caller). For the string dictionary's look-ups from the
 * CSV byte lane, where a value is a span of a read buffer.
 */
export class ByteKeyedIds {
  /** id + 1 per slot (0: empty). */
  private slots = new Int32Array(1024);
  /** The hash of each id's key. */
  private hashes = new Int32Array(512);
  private count = 0;

  constructor(private readonly keys: readonly Uint8Array[]) {}

  /** The id whose key is bytes[start, end) (hashed as `hash`, by `fnv1a`), or -1. */
  find(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const { slots, keys } = this;
    const length = end - start;
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot]!;
      if (entry === 0) return -1;
      if (this.hashes[entry - 1] !== hash) continue;
      const key = keys[entry - 1]!;
      if (key.length !== length) continue;
      let k = 0;
      while (k < length && key[k] === bytes[start + k]) k++;
      if (k === length) return entry - 1;
    }
  }

  /** Takes in the next id (its key now at `keys[id]`), hashed as `hash`. */
  add(hash: number): void {
    const id = this.count++;
    if (id >= this.hashes.length) this.hashes = withRoom(this.hashes, id + 1);
    this.hashes[id] = hash;
    if ((id + 1) * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2);
      for (let known = 0; known < id; known++) this.place(known);
    }
    this.place(id);
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[id]! & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }
}
