import type { EncodedPage } from './small-chunk.js';

/**
 * Column chunks of small files whose rows all hold one value, kept to be copied into the next file of as many rows with
 * that value in that column, instead of encoded and compressed again.
 *
 * Why: a file's lineage columns (`_source_key`, `_ingested_at`) hold one value for a whole run, and so does any column
 * that is constant within a partition; over 20,000 one-day files the `_source_key` page alone (ten copies of the raw
 * object's key) is the largest page of each file, and encoding and compressing it and `_ingested_at`'s was ~15% of
 * the files' encoding. A chunk's bytes (page header, levels, compressed values) do not depend on where in the file it
 * lies: only its offsets do, and those are the footer's.
 *
 * One per writer (its columns, their dictionaries and its compressor fixed), bounded: at most `ENTRIES_PER_COLUMN`
 * chunks a column, the first ones seen.
 */
export class RepeatedChunks {
  private readonly byColumn: Array<Map<string, RepeatedChunk>> = [];

  /** The chunk kept for `rows` rows of column `column` all holding the value `key` names (see `oneValueKey`). */
  get(column: number, rows: number, key: string): RepeatedChunk | undefined {
    return this.byColumn[column]?.get(`${rows}:${key}`);
  }

  /**
   * Keeps a chunk while the column has room: its bytes are copied (`bytes` may be a view of a buffer the caller reuses),
   * only then — a file of one row has every column hold one value, and most such values never come again.
   */
  keep(column: number, rows: number, key: string, bytes: Uint8Array, page: EncodedPage, uncompressed: number): void {
    const kept = (this.byColumn[column] ??= new Map());
    if (kept.size < ENTRIES_PER_COLUMN) kept.set(`${rows}:${key}`, { bytes: bytes.slice(), page, uncompressed });
  }
}

/** A chunk as it is copied into a file, and what its footer entry needs. */
export interface RepeatedChunk {
  bytes: Uint8Array;
  page: EncodedPage;
  uncompressed: number;
}

/** Enough for the row counts small files come in, times a few values; each chunk is a few hundred bytes. */
const ENTRIES_PER_COLUMN = 256;
