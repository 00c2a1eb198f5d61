import type { ColumnBuffer } from './column-buffer.js';
import type { RowValue } from '../typing/typed-row.js';
import { Utf8Field } from '../support/utf8-field.js';

/**
 * The rows of partitions too small (so far) for column buffers of their own, held together in one set of column
 * buffers, each row tagged with the partition it belongs to. A partition of a few rows then costs a few bytes of tag
 * instead of a dozen small typed arrays: over 20,000 daily partitions of ten rows, 220,000 arrays to allocate, fill
 * out of cache order and collect; over 95,000, the run's memory. A partition that grows moves out to buffers of its
 * own (`extract`); the rest are written at the end, gathered partition by partition (`rowsOf`).
 */
export class RowPool {
  private columns: ColumnBuffer[];
  private owners: Int32Array = new Int32Array(0);
  private used = 0;
  /** Each owner's rows in pool order, worked out on the first `rowsOf` after a change. */
  private grouped?: { rows: Int32Array; starts: Int32Array };

  constructor(
    private readonly newBuffers: Array<() => ColumnBuffer>,
    /** Position of each column's value in a row given to `push`. */
    private readonly rowIndexes: number[],
  ) {
    this.columns = newBuffers.map((make) => make());
  }

  get length(): number {
    return this.used;
  }

  /** Appends a row of `owner` (the values are copied); returns about how many bytes it takes, as a column buffer's push. */
  push(values: readonly RowValue[], owner: number): number {
    const { columns, rowIndexes } = this;
    let bytes = 0;
    for (let c = 0; c < columns.length; c++) bytes += columns[c]!.push(values[rowIndexes[c]!]!);
    if (this.used >= this.owners.length) this.owners = grown(this.owners, this.used + 1);
    this.owners[this.used++] = owner;
    this.grouped = undefined;
    return bytes;
  }

  /**
   * The values of `owner`'s rows, column by column, in the order they came (as a column buffer's `take` gives them).
   * Bytes may be views of the pool's buffers: use them before the pool next changes.
   */
  rowsOf(owner: number): unknown[][] {
    const { columns, rows, start, end } = this.placeOf(owner);
    return columns.map((column) => column.gather(rows, start, end));
  }

  /**
   * Where `owner`'s rows are, without gathering them: rows `rows[start]` … `rows[end - 1]` of `columns`, in the order
   * they came. Valid until the pool next changes.
   */
  placeOf(owner: number): { columns: ColumnBuffer[]; rows: Int32Array; start: number; end: number } {
    const { rows, starts } = this.groupedByOwner();
    const start = owner + 1 < starts.length ? starts[owner]! : rows.length;
    const end = owner + 1 < starts.length ? starts[owner + 1]! : rows.length;
    return { columns: this.columns, rows, start, end };
  }

  /**
   * Moves out the rows of every owner `moves` says: each such owner's values, column by column, go to `receive`
   * (to be copied: they may be views of the pool's old buffers). The others' rows stay, in their order, in new buffers.
   */
  extract(moves: (owner: number) => boolean, receive: (owner: number, columns: unknown[][]) => void): void {
    const { rows, starts } = this.groupedByOwner();
    const kept = this.newBuffers.map((make) => make());
    const keptOwners = new Int32Array(Math.max(8, this.used));
    let keptRows = 0;
    for (let owner = 0; owner + 1 < starts.length; owner++) {
      const start = starts[owner]!;
      const end = starts[owner + 1]!;
      if (start === end) continue;
      const values = this.columns.map((column) => column.gather(rows, start, end));
      if (moves(owner)) {
        receive(owner, values);
        continue;
      }
      appendGathered(kept, values, end - start);
      keptOwners.fill(owner, keptRows, keptRows + end - start);
      keptRows += end - start;
    }
    this.columns = kept;
    this.owners = keptOwners;
    this.used = keptRows;
    this.grouped = undefined;
  }

  /** Row indexes sorted by owner, stably (a counting sort): owner o's rows are rows[starts[o]] … rows[starts[o + 1] - 1]. */
  private groupedByOwner(): { rows: Int32Array; starts: Int32Array } {
    if (!this.grouped) {
      let owners = 0;
      for (let i = 0; i < this.used; i++) if (this.owners[i]! >= owners) owners = this.owners[i]! + 1;
      const starts = new Int32Array(owners + 1);
      for (let i = 0; i < this.used; i++) starts[this.owners[i]! + 1]!++;
      for (let o = 0; o < owners; o++) starts[o + 1]! += starts[o]!;
      const next = starts.slice(0, owners);
      const rows = new Int32Array(this.used);
      for (let i = 0; i < this.used; i++) rows[next[this.owners[i]!]!++] = i;
      this.grouped = { rows, starts };
    }
    return this.grouped;
  }
}

/** Appends `rows` gathered rows (column by column, as `gather` gives them) to `buffers`, in order. */
export function appendGathered(buffers: ColumnBuffer[], values: unknown[][], rows: number): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < buffers.length; c++) buffers[c]!.push(asRowValue(values[c]![r]));
}

/**
 * A value as gathered from a buffer, as a buffer's `push` takes it again: UTF-8 bytes as a field. One field for all:
 * a push reads it at once (as with the CSV lane's fields).
 */
function asRowValue(value: unknown): RowValue {
  if (value instanceof Uint8Array) {
    gatheredBytes.bytes = value;
    gatheredBytes.start = 0;
    gatheredBytes.end = value.length;
    return gatheredBytes;
  }
  return value as RowValue;
}

const gatheredBytes = new Utf8Field();

function grown(array: Int32Array, needed: number): Int32Array {
  const next = new Int32Array(Math.max(needed, array.length * 2, 64));
  next.set(array);
  return next;
}
