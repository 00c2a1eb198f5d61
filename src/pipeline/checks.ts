import type { RowValue } from './typed-row.js';

/** Primary-key uniqueness within one file: the first row with a key is kept, later ones are duplicates. */
export class DuplicateKeyCheck {
  private readonly seen = new Map<string, number>();

  /** @param keyIndexes positions of the key columns in a typed row */
  constructor(private readonly keyIndexes: number[]) {}

  get enabled(): boolean {
    return this.keyIndexes.length > 0;
  }

  /** Returns the source line of the earlier row with the same key, or undefined when the key is new. */
  firstLineOf(values: RowValue[], line: number): number | undefined {
    const key = this.keyIndexes.length === 1 ? keyPart(values[this.keyIndexes[0]!]!) : this.keyIndexes.map((i) => keyPart(values[i]!)).join('\u0000');
    const earlier = this.seen.get(key);
    if (earlier !== undefined) return earlier;
    this.seen.set(key, line);
    return undefined;
  }
}

function keyPart(value: RowValue): string {
  return typeof value === 'bigint' ? `${value}n` : String(value);
}
