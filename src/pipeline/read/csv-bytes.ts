import { isAscii, isUtf8 } from 'node:buffer';
import { InputFileError } from '../contract/errors.js';
import { withRoom } from '../support/typed-arrays.js';
import { readCsvRecords, type CsvReadOptions } from './csv.js';
import { PIECE } from './utf8-pieces.js';
import { resolveHeader } from './header.js';
import type { RecordReader, RecordReaderOptions, SourceRecord } from './record-reader.js';

/**
 * The CSV reader's byte lane: records found on the raw bytes, each field a start and an end in the buffer, never a
 * string, so the typer can parse numbers from the bytes and the string columns can look their values up by bytes.
 * It reads exactly the dialect csv.ts reads (the separators are ASCII, and no byte of a multi-byte UTF-8 character is
 * ASCII, so a byte scan finds the boundaries a character scan finds); a quoted field's doubled quotes are made single
 * in the lane's own copy of the bytes. Bytes are checked as UTF-8 a chunk at a time (`isUtf8`); whatever the lane does
 * not take on itself — bytes that are not UTF-8, a malformed record, a record longer than 64 KiB — hands the rest of
 * the file, from the start of that record and with the records not yet handed on, to csv.ts, which then gives what it
 * would have given reading the file from the start: the same records, or the same error naming the same line and byte.
 * Checked against csv.ts by tests/pipeline/run/csv-byte-lane.property.test.ts and bench/csv-fuzz.ts.
 */

/** Records found in one buffer: record r's fields are `starts`/`ends` from `fieldsAt[r]` to `fieldsAt[r + 1]`. */
export class CsvByteBatch {
  bytes: Buffer = Buffer.alloc(0);
  /** The first record to hand on (the header is taken from the first batch). */
  first = 0;
  count = 0;
  lines = new Int32Array(1024);
  fieldsAt = new Int32Array(1025);
  starts = new Int32Array(8192);
  ends = new Int32Array(8192);

  /** A field's text: only for a value the byte lane does not read itself, and for a record that is quarantined. */
  text(field: number): string {
    return this.bytes.toString('utf8', this.starts[field]!, this.ends[field]!);
  }

  /** Record `r` as the string path would have read it. */
  record(r: number): SourceRecord {
    const fields: string[] = [];
    for (let f = this.fieldsAt[r]!; f < this.fieldsAt[r + 1]!; f++) fields.push(this.text(f));
    return { line: this.lines[r]!, fields };
  }
}

/** What the lane hands on: byte batches, and batches of string records once csv.ts has taken over the rest. */
export type CsvLaneBatch = CsvByteBatch | SourceRecord[];

/** A RecordReader whose batches may be byte batches (a RecordReader is one too: its batches are all strings). */
export interface CsvLaneReader extends Omit<RecordReader, 'batches'> {
  readonly batches: AsyncIterator<CsvLaneBatch>;
}

/** Whether the lane reads this dialect: a one-byte delimiter and quote (anything else goes the string way). */
export function byteLaneReads(delimiter: string, quote: string): boolean {
  return delimiter.length === 1 && quote.length === 1 && delimiter.charCodeAt(0) < 0x80 && quote.charCodeAt(0) < 0x80 && delimiter !== quote;
}

/** The CSV file through the byte lane: the same header handling as openCsvReader. */
export async function openCsvByteReader(bytes: AsyncIterable<Uint8Array>, { fileName, contract, range }: RecordReaderOptions): Promise<CsvLaneReader> {
  const batches = readCsvByteBatches(bytes, {
    fileName,
    delimiter: contract.csv.delimiter,
    quote: contract.csv.quote,
    maxRecordChars: contract.csv.maxRecordChars,
    ...(range && { start: { line: range.line, byte: range.byte } }),
  })[Symbol.asyncIterator]();
  const reader = { ignoredFields: () => [], quarantine: { kind: 'csv' } } as const;
  if (range?.header) return { ...reader, fields: resolveHeader(range.header, contract, fileName), batches };
  const first = await batches.next();
  let header: string[] | undefined;
  let rest: CsvLaneBatch | undefined;
  if (!first.done) {
    const batch = first.value;
    if (Array.isArray(batch)) {
      header = batch[0]?.fields;
      rest = batch.slice(1);
    } else {
      header = batch.record(0).fields;
      batch.first = 1;
      rest = batch;
    }
  }
  if (!header) throw new InputFileError(`${fileName}: file is empty; a header row is required`);
  const fields = resolveHeader(header, contract, fileName);
  return {
    ...reader,
    fields,
    batches: {
      next: async () => {
        const batch = rest;
        rest = undefined;
        if (batch && (Array.isArray(batch) ? batch.length > 0 : batch.count > batch.first)) return { done: false, value: batch };
        return batches.next();
      },
      return: async () => {
        await batches.return?.(undefined);
        return { done: true, value: undefined };
      },
    },
  };
}

const LF = 10;
const CR = 13;
const INCOMPLETE = -1;
const MALFORMED = -2;
/** A record still open after this many bytes goes to csv.ts (its length limit, its waiting for long records). */
const LONGEST_HELD_RECORD = PIECE;

/**
 * The records of the bytes, in batches; the batch and its buffer are reused: a batch is valid until the next is asked
 * for. Batches are cut where csv.ts cuts them (at least `batchSize` records, at the end of a piece of text as
 * utf8-pieces.ts hands them on), so that a file rejected part way (a malformed record, a bad byte) has had the same rows
 * handled before its error, whichever way it was read.
 */
export async function* readCsvByteBatches(bytes: AsyncIterable<Uint8Array>, options: CsvReadOptions): AsyncGenerator<CsvLaneBatch> {
  const batchSize = options.batchSize ?? 1024;
  const startByte = options.start?.byte ?? 0;
  const scanner = new CsvByteScanner(options.delimiter.charCodeAt(0), options.quote.charCodeAt(0), options.start?.line ?? 1);
  const batch = scanner.batch;
  const longest = Math.min(LONGEST_HELD_RECORD, options.maxRecordChars ?? LONGEST_HELD_RECORD);
  const source = bytes[Symbol.asyncIterator]();
  let work = Buffer.allocUnsafe(256 * 1024);
  let used = 0;
  /** Where work[0] is in the file. */
  let fileByte = startByte;
  /** work[0, validated) is known to be UTF-8 and has been scanned. */
  let validated = 0;
  /** Where the next record starts in work: what is before it is in `batch` (or an empty line). */
  let scanned = 0;
  // A BOM is dropped only at the start of the file, as csv.ts drops it.
  let bomSettled = startByte > 0;
  let finished = false;
  for (;;) {
    const next = await source.next();
    if (next.done) finished = true;
    else {
      const chunk = next.value;
      if (used + chunk.byteLength > work.length) {
        const grown = Buffer.allocUnsafe(Math.max(work.length * 2, used + chunk.byteLength));
        work.copy(grown, 0, 0, used);
        work = grown;
        batch.bytes = work;
      }
      work.set(chunk, used);
      used += chunk.byteLength;
    }
    if (!bomSettled) {
      // Wait while the bytes so far could be the start of a BOM, as the decoder does.
      if (!finished && used < 3 && work[0] === 0xef && (used < 2 || work[1] === 0xbb)) continue;
      bomSettled = true;
      if (used >= 3 && work[0] === 0xef && work[1] === 0xbb && work[2] === 0xbf) {
        work.copyWithin(0, 3, used);
        used -= 3;
        fileByte += 3;
      }
    }
    // What the decoder would hand on from this chunk: all but a character cut off at its end.
    const end = finished ? used : used - incompleteTail(work, Math.max(validated, used - 3), used);
    if (end > validated && !isUtf8(work.subarray(validated, end))) {
      yield* handOver(used, used);
      return;
    }
    // Where the pieces end moves back as the bytes of records handed on are dropped.
    let dropped = 0;
    for (const endInChunk of pieceEnds(work, validated, end)) {
      const pieceEnd = endInChunk - dropped;
      // `validated` is where this piece starts until the piece has been scanned.
      const pieceStart = validated;
      scanned = scanner.scan(work, scanned, pieceEnd, false);
      if (scanner.malformed || pieceEnd - scanned > longest) {
        yield* handOver(pieceStart, pieceEnd);
        return;
      }
      if (batch.count >= batchSize && !finished) {
        yield batch;
        // The records handed on are done with: their bytes make room.
        work.copyWithin(0, scanned, used);
        used -= scanned;
        fileByte += scanned;
        dropped += scanned;
        validated = pieceEnd - scanned;
        scanned = 0;
        scanner.clear();
      } else validated = pieceEnd;
    }
    if (finished) {
      scanned = scanner.scan(work, scanned, used, true);
      if (scanner.malformed) {
        yield* handOver(scanned, used);
        return;
      }
      if (batch.count > batch.first) yield batch;
      return;
    }
  }

  /**
   * csv.ts reads the rest of the file from the record at work[scanned], with the records not yet handed on: its
   * records, or its error. The bytes held go to it as the pieces it would have been given: the record's text before
   * the piece `pieceStart`-`pieceEnd` (what csv.ts would hold from earlier pieces), that piece, then the rest. Given
   * as one, a record begun in an earlier piece would be cut where csv.ts never looked, and a record longer than
   * source.max_record_chars named as too long where the file's first fault is its quoting.
   */
  async function* handOver(pieceStart: number, pieceEnd: number): AsyncGenerator<SourceRecord[]> {
    const before: SourceRecord[] = [];
    for (let r = batch.first; r < batch.count; r++) before.push(batch.record(r));
    const cut = Math.max(scanned, pieceStart);
    const held = [work.subarray(scanned, cut), work.subarray(cut, pieceEnd), work.subarray(pieceEnd, used)]
      .filter((b) => b.length > 0)
      .map((b) => Buffer.from(b));
    async function* rest(): AsyncGenerator<Uint8Array> {
      yield* held;
      if (finished) return;
      for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
    }
    yield* readCsvRecords(rest(), { ...options, before, start: { line: scanner.line, byte: fileByte + scanned } });
  }
}

/**
 * Where the pieces of text utf8-pieces.ts makes of the decoded bytes [from, to) end, in bytes: every PIECE UTF-16 units
 * (a character cut between two pieces there is whole in the first here: no record ends inside a character).
 */
function pieceEnds(bytes: Uint8Array, from: number, to: number): number[] {
  if (to - from <= PIECE) return to > from ? [to] : [];
  const ends: number[] = [];
  if (isAscii(bytes.subarray(from, to))) {
    for (let at = from + PIECE; at < to; at += PIECE) ends.push(at);
  } else {
    // A character begun before `from` is the first of this piece of text.
    let units = 0;
    if ((bytes[from]! & 0xc0) === 0x80) {
      for (let back = from - 1; back >= Math.max(0, from - 3); back--) {
        if ((bytes[back]! & 0xc0) !== 0x80) {
          units = bytes[back]! >= 0xf0 ? 2 : 1;
          break;
        }
      }
    }
    let next = PIECE;
    for (let i = from; i < to; i++) {
      const b = bytes[i]!;
      if ((b & 0xc0) === 0x80) continue;
      if (units >= next) {
        ends.push(i);
        next += PIECE;
      }
      units += b >= 0xf0 ? 2 : 1;
    }
  }
  ends.push(to);
  return ends;
}

/**
 * How many bytes at the end of bytes[from, to) begin a character that more bytes could still make valid UTF-8 (0 to 3):
 * what a streaming decoder waits on rather than rejects.
 */
function incompleteTail(bytes: Uint8Array, from: number, to: number): number {
  for (let back = 1; back <= Math.min(3, to - from); back++) {
    const lead = bytes[to - back]!;
    if ((lead & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length <= back) return 0;
    if (back === 1) return 1;
    // The second byte's range depends on the lead (no overlong forms, no surrogates, nothing past U+10FFFF).
    const second = bytes[to - back + 1]!;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    return second >= low && second <= high ? back : 0;
  }
  return 0;
}

/** The scan itself: CsvScanner (csv.ts) on bytes. */
class CsvByteScanner {
  readonly batch = new CsvByteBatch();
  /** Line of the next record. */
  line: number;
  /** The scan stopped at a record csv.ts must read (the next record, on `line`): a malformed one. */
  malformed = false;
  private fieldCount = 0;
  private recordLine = 0;
  /** Fields of the record being scanned that hold doubled quotes (the first `doubledCount`), unescaped once it is whole. */
  private doubled: number[] = [];
  private doubledCount = 0;

  /** 1 for the bytes that end an unquoted field: the delimiter, LF and CR (one test per byte in the hot loop). */
  private readonly endsField = new Uint8Array(256);

  constructor(
    private readonly delimiter: number,
    private readonly quote: number,
    line: number,
  ) {
    this.line = line;
    this.endsField[delimiter] = this.endsField[LF] = this.endsField[CR] = 1;
  }

  /** Empties the batch (its records were handed on). */
  clear(): void {
    this.batch.count = 0;
    this.batch.first = 0;
    this.fieldCount = 0;
  }

  /**
   * Adds the records of bytes[start, end) to the batch; returns where the next record starts (an incomplete one is
   * left for more bytes; a malformed one sets `malformed`).
   */
  scan(bytes: Buffer, start: number, end: number, final: boolean): number {
    const batch = this.batch;
    batch.bytes = bytes;
    while (start < end) {
      const c = bytes[start];
      if (c === LF || c === CR) {
        // An empty line: skipped, but counted.
        if (c === CR && start + 1 === end && !final) break;
        start += c === CR && start + 1 < end && bytes[start + 1] === LF ? 2 : 1;
        this.line++;
        continue;
      }
      const firstField = this.fieldCount;
      this.recordLine = this.line;
      this.doubledCount = 0;
      const next = this.record(bytes, start, end, final);
      if (next < 0) {
        this.fieldCount = firstField;
        this.malformed = next === MALFORMED;
        break;
      }
      for (let d = 0; d < this.doubledCount; d++) this.unescape(bytes, this.doubled[d]!);
      const r = batch.count++;
      if (r >= batch.lines.length) batch.lines = withRoom(batch.lines, r + 1);
      if (r + 2 > batch.fieldsAt.length) batch.fieldsAt = withRoom(batch.fieldsAt, r + 2);
      batch.lines[r] = this.line;
      batch.fieldsAt[r] = firstField;
      batch.fieldsAt[r + 1] = this.fieldCount;
      this.line = this.recordLine;
      start = next;
    }
    return start;
  }

  /** Scans one record from `start`: the position after it (and its line break), INCOMPLETE or MALFORMED. */
  private record(bytes: Buffer, start: number, end: number, final: boolean): number {
    const { delimiter, quote } = this;
    let i = start;
    for (;;) {
      let c: number;
      if (i < end && bytes[i] === quote) {
        let from = i + 1;
        let close: number;
        for (;;) {
          // A loop, not indexOf: the closing quote is near, and indexOf would look to the end of the buffer.
          close = from;
          while (close < end && bytes[close] !== quote) close++;
          if (close >= end) return final ? MALFORMED : INCOMPLETE;
          this.recordLine += countLineBreaks(bytes, from, close);
          if (close + 1 >= end && !final) return INCOMPLETE;
          if (close + 1 < end && bytes[close + 1] === quote) {
            if (this.doubledCount === 0 || this.doubled[this.doubledCount - 1] !== this.fieldCount) this.doubled[this.doubledCount++] = this.fieldCount;
            from = close + 2;
            continue;
          }
          break;
        }
        this.field(i + 1, close);
        i = close + 1;
        if (i >= end) {
          if (!final) return INCOMPLETE;
          return i;
        }
        c = bytes[i]!;
        if (c !== delimiter && c !== LF && c !== CR) return MALFORMED;
      } else {
        let j = i;
        c = 0;
        const ends = this.endsField;
        while (j < end) {
          c = bytes[j]!;
          if (ends[c] === 1) break;
          j++;
        }
        this.field(i, j);
        if (j >= end) return final ? j : INCOMPLETE;
        i = j;
      }
      if (c === delimiter) {
        i++;
        continue;
      }
      if (c === CR) {
        if (i + 1 >= end && !final) return INCOMPLETE;
        i += i + 1 < end && bytes[i + 1] === LF ? 2 : 1;
      } else {
        i++;
      }
      this.recordLine++;
      return i;
    }
  }

  private field(start: number, end: number): void {
    const batch = this.batch;
    const f = this.fieldCount++;
    if (f >= batch.starts.length) {
      batch.starts = withRoom(batch.starts, f + 1);
      batch.ends = withRoom(batch.ends, f + 1);
    }
    batch.starts[f] = start;
    batch.ends[f] = end;
  }

  /** A quoted field's doubled quotes made single, in place (the field only gets shorter). */
  private unescape(bytes: Buffer, field: number): void {
    const { quote } = this;
    const batch = this.batch;
    const end = batch.ends[field]!;
    let to = batch.starts[field]!;
    for (let from = to; from < end; from++) {
      const b = bytes[from]!;
      bytes[to++] = b;
      if (b === quote) from++;
    }
    batch.ends[field] = to;
  }
}

/** Line breaks (CRLF, LF or CR) inside a quoted value, counted as csv.ts counts them. */
function countLineBreaks(bytes: Uint8Array, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (c === LF) count++;
    else if (c === CR && bytes[i + 1] !== LF) count++;
  }
  return count;
}
