import { InputFileError } from '../contract/errors.js';
import { resolveHeader } from './header.js';
import type { OpenRecordReader, SourceRecord } from './record-reader.js';
import { utf8Pieces } from './utf8-pieces.js';

export type { SourceRecord };

/**
 * The CSV reader: bytes in, records out, in batches, never the whole file in memory. One module so other input
 * formats (JSON lines) can sit beside it behind the same `RecordReader` (record-reader.ts).
 *
 * Bytes must be UTF-8 (a BOM is dropped); anything else is an InputFileError naming the file, line and byte offset, never
 * silently replaced characters. The dialect is RFC 4180 as csv-parse reads it with `relax_column_count` and
 * `skip_empty_lines`: records end at CRLF, LF or CR; a quote is escaped by doubling it; quoted fields may span lines;
 * rows may have any number of fields (the typer rejects ragged ones); a quote inside an unquoted field is kept as a
 * character (`37.8"N`, as DuckDB and Python read it); text after a closing quote and a quote still open at the end of
 * the file are errors with the line. Hand-written rather than
 * csv-parse because parsing was a third of the conversion time: this scanner is 2–3× faster on the same input
 * (bench/csv-fuzz.ts checks it against csv-parse).
 */

export interface CsvReadOptions {
  /** Named in every error message. */
  fileName: string;
  delimiter: string;
  quote: string;
  /** Records handed on per batch, at least (a batch is what one piece of text held): fewer awaits per row. */
  batchSize?: number;
  /** The longest record (in characters) the reader holds before it gives up with an error: memory stays bounded. */
  maxRecordChars?: number;
  /** Where the bytes start in the file, for a byte range read on its own (see csv-split.ts): its line and byte. */
  start?: { line: number; byte: number };
  /** Records read before these bytes and not yet handed on (the byte lane's, when it hands the rest of a file over). */
  before?: SourceRecord[];
}

/** The CSV file as a RecordReader: its first record is the header, matched to the contract's columns. */
export const openCsvReader: OpenRecordReader = async (bytes, { fileName, contract, batchSize, range }) => {
  const records = readCsvRecords(bytes, {
    fileName,
    delimiter: contract.csv.delimiter,
    quote: contract.csv.quote,
    maxRecordChars: contract.csv.maxRecordChars,
    batchSize,
    ...(range && { start: { line: range.line, byte: range.byte } }),
  })[Symbol.asyncIterator]();
  if (range?.header) {
    // A later range of a file cut in ranges: the header was read (and judged) before the cut, the bytes start on data.
    return { fields: resolveHeader(range.header, contract, fileName), batches: records, ignoredFields: () => [], quarantine: { kind: 'csv' } };
  }
  const first = await records.next();
  const headerRecord = first.done ? undefined : first.value[0];
  if (!headerRecord) throw new InputFileError(`${fileName}: file is empty; a header row is required`);
  const fields = resolveHeader(headerRecord.fields, contract, fileName);
  let rest: SourceRecord[] | undefined = first.value!.slice(1);
  const batches: AsyncIterator<SourceRecord[]> = {
    next: async () => {
      if (rest !== undefined) {
        const batch = rest;
        rest = undefined;
        if (batch.length > 0) return { done: false, value: batch };
      }
      return records.next();
    },
    return: async () => {
      await records.return?.(undefined);
      return { done: true, value: undefined };
    },
  };
  return { fields, batches, ignoredFields: () => [], quarantine: { kind: 'csv' } };
};

export async function* readCsvRecords(
  bytes: AsyncIterable<Uint8Array>,
  options: CsvReadOptions,
): AsyncGenerator<SourceRecord[]> {
  const batchSize = options.batchSize ?? 1024;
  const scanner = new CsvScanner(options);
  let records: SourceRecord[] = options.before ?? [];
  const pieces = utf8Pieces(bytes, options.fileName, { startByte: options.start?.byte, lineAt: (textBefore) => scanner.lineAt(textBefore) });
  for await (const piece of pieces) {
    scanner.push(piece.text, piece.last, records);
    if (records.length >= batchSize && !piece.last) {
      yield records;
      records = [];
    }
  }
  for (let start = 0; start < records.length; start += batchSize) yield records.slice(start, start + batchSize);
}

/** A record may be this long by default: far beyond real rows, far below what would exhaust a Lambda's memory. */
export const DEFAULT_MAX_RECORD_CHARS = 16 * 1024 * 1024;
const LF = 10;
const CR = 13;

/** Marks a record cut off by the end of the text seen so far: wait for more. */
const INCOMPLETE = -1;

/** Incremental scanner: text in as it is decoded, complete records out; an incomplete last record waits for more text. */
class CsvScanner {
  private readonly delimiter: number;
  private readonly quoteChar: string;
  private readonly quote: number;
  /** Text not yet turned into records: the start of a record cut off at the end of the last chunk. */
  private pending = '';
  /** Line of the first character of `pending`. */
  private line: number;
  /** Do not rescan `pending` before at least this much text has arrived (a huge record is scanned O(n), not O(n²)). */
  private waitFor = 0;
  private arrived = 0;
  /** Per-record state, kept on the instance so the hot loop allocates nothing but fields. */
  private fields: string[] = [];
  private position = 0;
  private currentLine = 1;

  constructor(private readonly options: CsvReadOptions) {
    this.delimiter = options.delimiter.charCodeAt(0);
    this.quoteChar = options.quote;
    this.quote = options.quote.charCodeAt(0);
    this.line = options.start?.line ?? 1;
  }

  /** The line after the text pushed so far and then `more` (asked only on an error path). */
  lineAt(more: string): number {
    const text = this.pending + more;
    return this.line + countLineBreaks(text, 0, text.length);
  }

  push(chunk: string, final: boolean, out: SourceRecord[]): void {
    // join, not +: in V8, + makes a rope (ConsString) that every charCodeAt of the scan below then has to look
    // through; join copies both into one flat string, and the scan runs measurably faster over it.
    this.pending = this.pending.length === 0 ? chunk : [this.pending, chunk].join('');
    this.arrived += chunk.length;
    if (!final && this.arrived < this.waitFor) return;
    const text = this.pending;
    const end = text.length;
    let start = 0;
    this.currentLine = this.line;
    while (start < end) {
      const c = text.charCodeAt(start);
      if (c === LF || c === CR) {
        // An empty line: skipped, but counted.
        if (c === CR && start + 1 === end && !final) break;
        start += c === CR && text.charCodeAt(start + 1) === LF ? 2 : 1;
        this.currentLine++;
        continue;
      }
      const recordLine = this.currentLine;
      if (this.record(text, start, final) === INCOMPLETE) {
        this.currentLine = recordLine;
        break;
      }
      out.push({ line: recordLine, fields: this.fields });
      start = this.position;
    }
    this.pending = start === 0 ? text : text.slice(start);
    const limit = this.options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
    if (this.pending.length > limit) {
      throw new InputFileError(
        `${this.options.fileName}: line ${this.currentLine}: a record longer than ${limit.toLocaleString('en-US')} characters ` +
          '(source.max_record_chars); is a quote left open?',
      );
    }
    this.line = this.currentLine;
    this.arrived = 0;
    this.waitFor = this.pending.length > 65536 ? this.pending.length : 0;
    if (final && this.pending.length > 0) throw new Error('csv scanner: text left after the end of the file');
  }

  /** Scans one record from `start`; sets `fields` and `position` (after its line break), or returns INCOMPLETE. */
  private record(text: string, start: number, final: boolean): number {
    const { delimiter, quote } = this;
    const end = text.length;
    const fields: string[] = [];
    this.fields = fields;
    let i = start;
    for (;;) {
      let c: number;
      if (i < end && text.charCodeAt(i) === quote) {
        const value = this.quoted(text, i, final, fields.length);
        if (value === undefined) return INCOMPLETE;
        fields.push(value);
        i = this.position;
        if (i >= end) {
          if (!final) return INCOMPLETE; // a doubled quote may follow in the next chunk
          this.position = i;
          return 0;
        }
        c = text.charCodeAt(i);
        if (c !== delimiter && c !== LF && c !== CR) {
          throw this.error(
            'Invalid Closing Quote',
            `got "${text[i]}" after the closing quote of field ${fields.length} instead of a delimiter or a line end`,
            this.currentLine,
          );
        }
      } else {
        let j = i;
        c = 0;
        while (j < end) {
          c = text.charCodeAt(j);
          if (c === delimiter || c === LF || c === CR) break;
          j++;
        }
        if (j >= end) {
          if (!final) return INCOMPLETE;
          fields.push(text.slice(i, j));
          this.position = j;
          return 0;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      // text[i] is a delimiter or a line break
      if (c === delimiter) {
        i++;
        continue;
      }
      if (c === CR) {
        if (i + 1 >= end && !final) return INCOMPLETE; // CRLF split across chunks
        i += text.charCodeAt(i + 1) === LF ? 2 : 1;
      } else {
        i++;
      }
      this.currentLine++;
      this.position = i;
      return 0;
    }
  }

  /** A quoted field starting at the quote at `start`: its value, `position` after the closing quote; undefined if cut off. */
  private quoted(text: string, start: number, final: boolean, index: number): string | undefined {
    const end = text.length;
    const openedOn = this.currentLine;
    let value = '';
    let from = start + 1;
    for (;;) {
      const close = text.indexOf(this.quoteChar, from);
      if (close < 0) {
        if (!final) return undefined;
        throw this.error('Quote Not Closed', `a quoted field is never closed (field ${index + 1}, opened on line ${openedOn})`, openedOn);
      }
      this.currentLine += countLineBreaks(text, from, close);
      if (close + 1 >= end && !final) return undefined;
      if (text.charCodeAt(close + 1) === this.quote) {
        value += text.slice(from, close + 1);
        from = close + 2;
        continue;
      }
      this.position = close + 1;
      return value.length === 0 ? text.slice(from, close) : value + text.slice(from, close);
    }
  }

  private error(reason: string, detail: string, line: number): InputFileError {
    return new InputFileError(`${this.options.fileName}: line ${line}: malformed CSV (${reason}): ${detail}`);
  }
}

/** Line breaks (CRLF, LF or CR) inside a quoted value: they move the line count on like any other. */
function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) count++;
  }
  return count;
}
