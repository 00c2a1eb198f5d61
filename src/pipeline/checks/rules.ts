import { IntegerKeySet, StringKeySet } from './key-set.js';
import type { RowValue } from '../typing/typed-row.js';

/**
 * Primary-key uniqueness within one file: the first row with a key is kept, later ones are duplicates. Exact, with the
 * first row's line. A single integer key (int, or a bigint that is a safe integer) goes into a typed-array set (4 bytes
 * a key when ids are dense); any other key, as text, into a set that keeps its UTF-8 bytes in one block.
 */
export class DuplicateKeyCheck {
  private readonly integers = new IntegerKeySet();
  private readonly others = new StringKeySet();
  private readonly single: number;

  /** @param keyIndexes positions of the key columns in a typed row */
  constructor(private readonly keyIndexes: number[]) {
    this.single = keyIndexes.length === 1 ? keyIndexes[0]! : -1;
  }

  get enabled(): boolean {
    return this.keyIndexes.length > 0;
  }

  /** Returns the source line of the earlier row with the same key, or undefined when the key is new. */
  firstLineOf(values: RowValue[], line: number): number | undefined {
    if (this.single >= 0) {
      const value = values[this.single]!;
      // A number and a bigint of the same integer cannot meet: a column has one type.
      const integer = typeof value === 'bigint' ? safeNumber(value) : typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
      if (integer !== undefined) {
        if (line >= 1 && line <= MAX_LINE) {
          const earlier = this.integers.firstLineOrAdd(integer, line);
          return earlier === 0 ? undefined : earlier;
        }
        // Beyond what the set stores (lines only grow): earlier keys are in the set, later ones in the Map.
        const earlier = this.integers.lineOf(integer);
        if (earlier !== 0) return earlier;
      }
    }
    const key = this.single >= 0 ? keyPart(values[this.single]!) : this.keyIndexes.map((i) => keyPart(values[i]!)).join('\u0000');
    const earlier = this.others.firstLineOrAdd(key, line);
    return earlier === 0 ? undefined : earlier;
  }
}

const MAX_LINE = 0xffffffff;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function safeNumber(value: bigint): number | undefined {
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : undefined;
}

function keyPart(value: RowValue): string {
  return typeof value === 'bigint' ? `${value}n` : String(value);
}
