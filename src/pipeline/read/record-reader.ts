import type { DatasetContract, SourceFormat } from '../contract/contract.js';
import type { HeaderMap } from './header.js';

/**
 * What every input format hands on to the rest of the pipeline. A reader turns the (already decompressed) bytes of one
 * source object into records of field texts, and says before the first record where each contract column is in them;
 * typing, checks and writing never know which format the records came from. A new input format is one new reader
 * file that implements `OpenRecordReader`, plus its line in `open-reader.ts`.
 *
 * Field texts are what a CSV field would hold: the caster reads them as the column's type says. A value that is
 * absent (a JSON `null`, a missing field) is the empty text, which every column reads as null.
 */

/** One record of a source file. */
export interface SourceRecord {
  /** 1-based line in the source file where the record starts (records may span lines inside CSV quotes). */
  line: number;
  /** Field texts, in the order `RecordReader.fields.header` names them. */
  fields: string[];
  /**
   * The record's original text, exactly as it was in the file, for formats whose quarantine keeps the record whole
   * (JSON lines). Readers whose quarantine writes the fields again (CSV) leave it out: it would pin the text.
   */
  text?: string;
  /**
   * Why the record could not be read into fields (JSON lines: not a JSON object, malformed, truncated): a bad row,
   * quarantined with this reason. CSV has none: a malformed CSV record rejects the file.
   */
  malformed?: string;
}

/** How rejected records of a format are kept in the quarantine zone. */
export type QuarantineFormat =
  /** CSV rows under the source's header, then the `_error_*` columns. */
  | { kind: 'csv' }
  /** One JSON object a line: the record's original text with `_error_*` fields added. */
  | { kind: 'jsonl' };

/** One source object being read. */
export interface RecordReader {
  /**
   * Where each contract column is in a record's `fields`, the field names (the quarantine's header) and what the
   * file's shape changed against the contract; known before the first record is read.
   */
  readonly fields: HeaderMap;
  /** The records in file order, in batches (a batch is never empty). */
  readonly batches: AsyncIterator<SourceRecord[]>;
  /**
   * Fields of the records that no column reads (JSON lines), in the order first met: complete once `batches` is done.
   * A name, not a warning text, so the ranges of one file can be joined into the serial run's one warning.
   */
  ignoredFields(): string[];
  readonly quarantine: QuarantineFormat;
}

export interface RecordReaderOptions {
  /** Named in every error message. */
  fileName: string;
  contract: DatasetContract;
  /** Records handed on per batch, at least. */
  batchSize?: number;
  /**
   * The bytes are one range of the file (run/range-plan.ts): where they start, and, for a range after the first, the
   * file's header fields (the range starts on data; JSON lines have none and read no header).
   */
  range?: { line: number; byte: number; header?: string[] };
}

/**
 * Opens a reader over the uncompressed bytes of one object. Anything wrong with the file as a whole (not UTF-8, no
 * header, a record past `max_record_chars`) is an InputFileError naming the file and line, thrown here or by `batches`.
 */
export type OpenRecordReader = (bytes: AsyncIterable<Uint8Array>, options: RecordReaderOptions) => Promise<RecordReader>;

export type { SourceFormat };

/** The warning a run gives for fields no column reads (`RecordReader.ignoredFields`), if any. */
export function ignoredFieldsWarnings(ignored: string[]): string[] {
  if (ignored.length === 0) return [];
  const names = ignored.slice(0, 20);
  const more = ignored.length > names.length ? ` and ${ignored.length - names.length} more` : '';
  return [`ignored field${ignored.length > 1 ? 's' : ''} not in the contract: ${names.join(', ')}${more}`];
}
