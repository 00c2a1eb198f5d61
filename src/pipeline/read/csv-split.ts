import { cutTargets, indexOfByte, type RangeCut } from './range-cuts.js';

/**
 * Where a CSV file can be cut into byte ranges that are read on their own: after a line feed that is not inside a
 * quoted field. One pass over the bytes follows the quote state exactly as the scanner (csv.ts) reads it — a quote
 * opens a quoted field only at the start of a field, `""` inside one is a quote, a quote elsewhere is a character —
 * jumping from quote to quote with indexOf, so it runs at memory speed. A guess at the quote state (DuckDB's parallel
 * reader guesses, and has lost or doubled rows exactly at such cuts: duckdb#7578, #13047, #13787, #25164) is never
 * made. Each cut comes with the line it starts on, so every range numbers its lines as the whole file would.
 *
 * Only a line feed is a cut: a file of bare CR line ends is simply not cut. The delimiter and quote must be one ASCII
 * byte (UTF-8 never uses such a byte inside a character). A file the scanner would refuse (a quote never closed, text
 * after a closing quote) is reported as `malformed`: it is read whole, so its error is the serial run's.
 */

export interface CsvSplit {
  /** Bytes read: the file's size, or less when the reading stopped at the last cut (`partial`). */
  size: number;
  /**
   * Read only up to the last cut: the rest is the last range's, whose scanner starts in the right quote state there and
   * meets whatever follows exactly as the serial run would (a fault there sends the file back to one piece).
   */
  partial?: boolean;
  /** Cuts in increasing order, at most one per target, none at 0 or at the end. */
  cuts: RangeCut[];
  /** Why the file cannot be cut (it is malformed where the scanner would stop), if so. */
  malformed?: string;
}

const LF = 10;
const CR = 13;
const BOM = [0xef, 0xbb, 0xbf];

const OUTSIDE = 0;
const INSIDE = 1;
/** Inside a quoted field, just after a quote: the next byte says whether it was `""` or the closing quote. */
const AFTER_QUOTE = 2;

export class CsvSplitFinder {
  private readonly quote: number;
  private readonly delimiter: number;
  private readonly targets: number[];
  private nextTarget = 0;
  private state = OUTSIDE;
  /** The byte before the current chunk (-1 at the start of the file, where a field starts). */
  private lastByte = -1;
  private base = 0;
  /** Line breaks before `base`: line feeds, and carriage returns not followed by a line feed. */
  private breaks = 0;
  private endedWithCr = false;
  private readonly cuts: RangeCut[] = [];
  private malformed?: string;
  /** Every target was cut: nothing after the last cut is scanned. */
  private stopped = false;
  /** BOM bytes matched at the start of the file so far; -1 once it is known to have none. */
  private bomBytes = 0;

  /** @param targets byte offsets to cut near, increasing: each cut is the first possible one at or after its target */
  constructor(options: { quote: string; delimiter: string; targets: number[] }) {
    this.quote = asciiByte(options.quote, 'quote');
    this.delimiter = asciiByte(options.delimiter, 'delimiter');
    this.targets = options.targets.filter((t) => t > 0);
  }

  push(chunk: Uint8Array): void {
    if (this.malformed || this.stopped) return;
    let i = 0;
    // The decoder drops a leading BOM: a quote right after it opens a field.
    while (this.bomBytes >= 0 && this.bomBytes < BOM.length && i < chunk.byteLength) {
      if (chunk[i] !== BOM[this.bomBytes]) {
        this.bomBytes = -1;
        break;
      }
      this.bomBytes++;
      i++;
    }
    const fieldStart = this.bomBytes === BOM.length ? BOM.length - this.base : -1;
    const n = chunk.byteLength;
    const { quote, delimiter } = this;
    while (i < n && !this.malformed) {
      if (this.state === OUTSIDE) {
        const q = indexOfByte(chunk, quote, i);
        const stop = q < 0 ? n : q;
        this.cutWithin(chunk, i, stop);
        // Every cut made: what follows is the last range's to read (a fault there is its scanner's to meet).
        if (this.nextTarget >= this.targets.length) {
          this.stopped = true;
          break;
        }
        if (q < 0) break;
        // (A partial BOM skipped above is not a field start: its bytes stand before the quote.)
        const before = q === fieldStart ? -1 : q > 0 ? chunk[q - 1]! : this.lastByte;
        if (before === -1 || before === delimiter || before === LF || before === CR) this.state = INSIDE;
        i = q + 1;
      } else if (this.state === INSIDE) {
        const q = indexOfByte(chunk, quote, i);
        if (q < 0) break;
        this.state = AFTER_QUOTE;
        i = q + 1;
      } else {
        const c = chunk[i]!;
        if (c === quote) {
          this.state = INSIDE;
          i++;
        } else if (c === delimiter || c === LF || c === CR) {
          this.state = OUTSIDE;
        } else {
          this.malformed = `text after a closing quote near byte ${this.base + i}`;
        }
      }
    }
    this.breaks += lineBreaks(chunk, 0, n, this.endedWithCr);
    this.endedWithCr = n > 0 && chunk[n - 1] === CR;
    if (n > 0) this.lastByte = chunk[n - 1]!;
    this.base += n;
  }

  /** Every target has its cut: the rest of the file need not be read (nor is it looked at). */
  get complete(): boolean {
    return this.stopped;
  }

  /** @param size the file's size, when the reading stopped before its end (`complete`) */
  finish(size?: number): CsvSplit {
    if (this.stopped) return { size: this.base, partial: true, cuts: this.cuts.filter((c) => c.byte < (size ?? this.base)) };
    if (!this.malformed && this.state === INSIDE) this.malformed = 'a quoted field is never closed';
    if (this.malformed) return { size: this.base, cuts: [], malformed: this.malformed };
    return { size: this.base, cuts: this.cuts.filter((c) => c.byte < this.base) };
  }

  /** Cuts in chunk[from, to), a stretch outside quotes: the first line feed at or after each pending target. */
  private cutWithin(chunk: Uint8Array, from: number, to: number): void {
    while (this.nextTarget < this.targets.length) {
      const target = this.targets[this.nextTarget]!;
      // The cut is the byte after the line feed, so a line feed at target - 1 cuts exactly at target.
      const searchFrom = Math.max(from, target - 1 - this.base);
      if (searchFrom >= to) return;
      const lf = indexOfByte(chunk, LF, searchFrom);
      if (lf < 0 || lf >= to) return;
      const byte = this.base + lf + 1;
      const line = 1 + this.breaks + lineBreaks(chunk, 0, lf + 1, this.endedWithCr);
      this.cuts.push({ byte, line });
      while (this.nextTarget < this.targets.length && this.targets[this.nextTarget]! <= byte) this.nextTarget++;
    }
  }
}

/** Line breaks in chunk[from, to) as the scanner counts lines: LF, CRLF and a bare CR each end one. */
function lineBreaks(chunk: Uint8Array, from: number, to: number, previousWasCr: boolean): number {
  let count = 0;
  for (let at = indexOfByte(chunk, LF, from); at >= 0 && at < to; at = indexOfByte(chunk, LF, at + 1)) count++;
  for (let at = indexOfByte(chunk, CR, from); at >= 0 && at < to; at = indexOfByte(chunk, CR, at + 1)) {
    // A CR followed by LF is counted by its LF; a CR at the end of the chunk waits for the next chunk's first byte.
    if (at + 1 < chunk.byteLength ? chunk[at + 1] !== LF : at + 1 < to) count++;
  }
  if (previousWasCr && from === 0 && to > 0 && chunk[0] !== LF) count++;
  return count;
}

function asciiByte(text: string, what: string): number {
  const code = text.charCodeAt(0);
  if (text.length !== 1 || code >= 0x80) throw new RangeError(`csv split: the ${what} must be one ASCII character`);
  return code;
}

/** Cuts a file's bytes near `parts` equal ranges apart. */
export async function findCsvCuts(
  bytes: AsyncIterable<Uint8Array>,
  options: { quote: string; delimiter: string; size: number; parts: number },
): Promise<CsvSplit> {
  const finder = new CsvSplitFinder({ ...options, targets: cutTargets(options.size, options.parts) });
  for await (const chunk of bytes) {
    finder.push(chunk);
    // Leaving the loop closes the stream: a planner reads 1/parts less of the object (a GET cut short, on S3).
    if (finder.complete) return finder.finish(options.size);
  }
  return finder.finish();
}
