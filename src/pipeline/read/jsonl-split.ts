import { cutTargets, indexOfByte, type RangeCut } from './range-cuts.js';

/**
 * Where a JSON-lines file can be cut into byte ranges that are read on their own: just after any line feed. The reader
 * (jsonl.ts) ends a record at every line feed, whatever state its framing is in (a JSON string cannot hold a raw line
 * feed), so no state is followed: one indexOf per target, and a count of the line feeds before each cut (the reader
 * numbers lines by line feeds alone; a CR is whitespace or the end of a CRLF, a BOM is dropped only at byte 0, which
 * is never a cut). A file without line feeds (objects concatenated, `{…}{…}`) is not cut.
 */

export interface JsonLinesSplit {
  /** Bytes read: the file's size, or less when the reading stopped at the last cut (`partial`). */
  size: number;
  /** Read only up to the last cut (the rest is the last range's to read). */
  partial?: boolean;
  /** Cuts in increasing order, at most one per target, none at 0 or at the end. */
  cuts: RangeCut[];
}

const LF = 10;

export class JsonLinesSplitFinder {
  private readonly targets: number[];
  private nextTarget = 0;
  private base = 0;
  /** Line feeds before `base`. */
  private lineFeeds = 0;
  private readonly cuts: RangeCut[] = [];

  /** @param targets byte offsets to cut near, increasing: each cut is just after the first line feed at or after target - 1 */
  constructor(targets: number[]) {
    this.targets = targets.filter((t) => t > 0);
  }

  push(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    // Line feeds in chunk[0, counted): counting stops where the last cut was found, and resumes from there.
    let counted = 0;
    let feeds = 0;
    while (this.nextTarget < this.targets.length) {
      const searchFrom = Math.max(0, this.targets[this.nextTarget]! - 1 - this.base);
      if (searchFrom >= n) break;
      const lf = indexOfByte(chunk, LF, searchFrom);
      if (lf < 0) break;
      feeds += countLineFeeds(chunk, counted, lf + 1);
      counted = lf + 1;
      const byte = this.base + lf + 1;
      this.cuts.push({ byte, line: 1 + this.lineFeeds + feeds });
      while (this.nextTarget < this.targets.length && this.targets[this.nextTarget]! <= byte) this.nextTarget++;
    }
    this.lineFeeds += feeds + countLineFeeds(chunk, counted, n);
    this.base += n;
  }

  /** Every target has its cut. */
  get complete(): boolean {
    return this.nextTarget >= this.targets.length;
  }

  /** @param size the file's size, when the reading stopped before its end (`complete`) */
  finish(size?: number): JsonLinesSplit {
    if (size !== undefined && this.complete) return { size: this.base, partial: true, cuts: this.cuts.filter((c) => c.byte < size) };
    return { size: this.base, cuts: this.cuts.filter((c) => c.byte < this.base) };
  }
}

function countLineFeeds(chunk: Uint8Array, from: number, to: number): number {
  let count = 0;
  for (let at = indexOfByte(chunk, LF, from); at >= 0 && at < to; at = indexOfByte(chunk, LF, at + 1)) count++;
  return count;
}

/** Cuts a JSON-lines file's bytes near `parts` equal ranges apart. */
export async function findJsonLinesCuts(bytes: AsyncIterable<Uint8Array>, options: { size: number; parts: number }): Promise<JsonLinesSplit> {
  const finder = new JsonLinesSplitFinder(cutTargets(options.size, options.parts));
  for await (const chunk of bytes) {
    finder.push(chunk);
    if (finder.complete) return finder.finish(options.size);
  }
  return finder.finish();
}
