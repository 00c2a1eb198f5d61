/** What the byte-range splitters of each format (csv-split.ts, jsonl-split.ts) share: a cut, where to aim, a byte search. */

export interface RangeCut {
  /** Byte offset where the range starts: just after a line feed (outside quotes, for CSV). */
  byte: number;
  /** 1-based line of that byte. */
  line: number;
}

/** The byte offsets `parts` equal ranges apart that the cuts are made near. */
export function cutTargets(size: number, parts: number): number[] {
  return Array.from({ length: Math.max(0, parts - 1) }, (_, k) => Math.round(((k + 1) * size) / parts));
}

/** Where `byte` next is in the chunk from `from`, or -1 (Buffer's native search, on any Uint8Array). */
export function indexOfByte(chunk: Uint8Array, byte: number, from: number): number {
  return Buffer.prototype.indexOf.call(chunk, byte, from) as number;
}
