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
    const key = this.keyOf(values);
    const earlier = this.firstLineOfKey(key, line);
    if (earlier === undefined && this.newKeys) this.newKeys.add(key, line);
    return earlier;
  }

  /**
   * Keeps every new key with its line, so a byte range's keys can be settled against the ranges before it
   * (range-keys.ts): the first occurrence in file order wins.
   */
  recordNewKeys(): RangeKeys {
    return (this.newKeys = new RangeKeys());
  }

  private newKeys?: RangeKeys;

  /** The key as the sets hold it: a safe integer for a single integer key, otherwise its text. */
  keyOf(values: RowValue[]): number | string {
    if (this.single >= 0) {
      const value = values[this.single]!;
      // A number and a bigint of the same integer cannot meet: a column has one type.
      const integer = typeof value === 'bigint' ? safeNumber(value) : typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
      return integer ?? keyPart(value);
    }
    return this.keyIndexes.map((i) => keyPart(values[i]!)).join('\u0000');
  }

  /** The line `key` (from `keyOf`) was first seen on, or undefined when it is new (it is then recorded with `line`). */
  firstLineOfKey(key: number | string, line: number): number | undefined {
    if (typeof key === 'number') {
      if (line >= 1 && line <= MAX_LINE) {
        const earlier = this.integers.firstLineOrAdd(key, line);
        return earlier === 0 ? undefined : earlier;
      }
      // Beyond what the set stores (lines only grow): earlier keys are in the set, later ones in the Map.
      const earlier = this.integers.lineOf(key);
      if (earlier !== 0) return earlier;
    }
    const earlier = this.others.firstLineOrAdd(String(key), line);
    return earlier === 0 ? undefined : earlier;
  }
}

/** The distinct keys one byte range met, each with the line it was first seen on there. */
export class RangeKeys {
  readonly integers: number[] = [];
  readonly integerLines: number[] = [];
  readonly texts: string[] = [];
  readonly textLines: number[] = [];

  add(key: number | string, line: number): void {
    if (typeof key === 'number') {
      this.integers.push(key);
      this.integerLines.push(line);
    } else {
      this.texts.push(key);
      this.textLines.push(line);
    }
  }

  get size(): number {
    return this.integers.length + this.texts.length;
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
