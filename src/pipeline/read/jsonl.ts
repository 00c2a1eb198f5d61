import { parse, stringify } from 'lossless-json';
import type { ColumnContract, DatasetContract } from '../contract/contract.js';
import { InputFileError } from '../contract/errors.js';
import { toSnakeCase } from '../contract/names.js';
import { DEFAULT_MAX_RECORD_CHARS } from './csv.js';
import type { OpenRecordReader, SourceRecord } from './record-reader.js';
import { parseJsonObjectFast } from './json-fast-parse.js';
import { FlatRecordReader, type KeyTarget } from './jsonl-flat-record.js';
import { utf8Pieces } from './utf8-pieces.js';
import { hasLoneSurrogate } from '../support/lone-surrogate.js';

/**
 * The JSON-lines reader: newline-delimited JSON objects (LF or CRLF, blank lines skipped, a UTF-8 BOM dropped) and
 * objects concatenated with no delimiter (`{…}{…}`, as Firehose writes them), streamed in bounded memory.
 *
 * A framing scan (strings, escapes and bracket depth, a counter: no recursion) cuts the text into records, so a record
 * is one top-level value; a line break always ends one (JSON strings cannot hold a raw line break), which keeps a
 * truncated or malformed line from swallowing the next. Each record is parsed by lossless-json with numbers kept as
 * their text, so a bigint past 2^53 and a decimal keep every digit (`JSON.parse` rounds both); the caster reads that
 * text as it reads a CSV field. Two fast paths read what they provably read the same: a flat object (no nested value)
 * is read straight from the decoded text into field texts as the framing meets it (jsonl-flat-record.ts), other
 * records that `JSON.parse` reads the same take it (json-fast-parse.ts); the rest are parsed exactly.
 * A record that is not a JSON object (malformed, truncated, an array, a bare value, `NaN`, nested deeper than
 * MAX_DEPTH) is handed on with `malformed` set: a bad row, quarantined with its text.
 *
 * Columns are fields of the object: by default the top-level key whose snake_case is the column's name, or the
 * column's `source:`, a key as written or a path into nested objects and arrays (`properties.mag`,
 * `geometry.coordinates[1]`). A nested value lands as its JSON text (a `json` column keeps any value so).
 */

/** Records nested deeper than this are bad rows: the parser recurses, and no input may exhaust the stack. */
export const MAX_DEPTH = 512;

/** A JSON number as it was written. */
export class NumberText {
  constructor(readonly text: string) {}
}

const parseNumber = (text: string) => new NumberText(text);
const numberStringifiers = [{ test: (value: unknown) => value instanceof NumberText, stringify: (value: unknown) => (value as NumberText).text }];

/** A JSON value as JSON text, numbers as they were written. */
export function jsonText(value: unknown): string {
  return stringify(value, undefined, undefined, numberStringifiers) ?? 'null';
}

/** Parses one JSON text with numbers kept as their text (NumberText); throws SyntaxError. */
export function parseJsonExact(text: string): unknown {
  return parse(text, null, parseNumber);
}

export const openJsonLinesReader: OpenRecordReader = async (bytes, { fileName, contract, batchSize, range }) => {
  const fields = {
    header: contract.columns.map((c) => c.name),
    sourceIndexes: contract.columns.map((_, index) => index),
    warnings: [],
  };
  // A range (run/range-plan.ts) starts just after a line feed: no header to skip, only its line and byte to count from.
  const { batches, ignoredFields } = readJsonLines(bytes, contract, {
    fileName,
    batchSize,
    maxRecordChars: contract.csv.maxRecordChars,
    ...(range && { start: { line: range.line, byte: range.byte } }),
  });
  return { fields, batches: batches[Symbol.asyncIterator](), ignoredFields, quarantine: { kind: 'jsonl' } };
};

export interface JsonLinesRead {
  /** Records in contract column order, in batches. */
  batches: AsyncGenerator<SourceRecord[]>;
  /** Top-level keys no column reads, in the order first met: complete once `batches` is done. */
  ignoredFields(): string[];
}

/**
 * The records of a JSON-lines text as field texts in contract column order. `exact` turns the fast paths off (each
 * record parsed by lossless-json alone): what the fast paths must read the same, for the tests.
 */
export function readJsonLines(bytes: AsyncIterable<Uint8Array>, contract: DatasetContract, options: FramingOptions & { exact?: boolean }): JsonLinesRead {
  const mapper = new FieldMapper(contract, options.fileName, options.exact === true);
  return { batches: frame(bytes, options, mapper), ignoredFields: () => mapper.ignoredFields() };
}

/** One framed record: its text, the line it starts on, and whether the framing already found it broken. */
export interface FramedRecord {
  line: number;
  text: string;
  /** Why the record cannot be a JSON object, when the framing alone can tell. */
  broken?: string;
}

export interface FramingOptions {
  fileName: string;
  batchSize?: number;
  maxRecordChars?: number;
  /** Where the bytes start in the file, for a byte range read on its own (just after a line feed): its line and byte. */
  start?: { line: number; byte: number };
}

/** The records of a JSON-lines text, framed but not parsed (infer and the reader share it). */
export function frameJsonRecords(bytes: AsyncIterable<Uint8Array>, options: FramingOptions): AsyncGenerator<FramedRecord[]> {
  return frame(bytes, options, { framed: (line, text, broken) => (broken === undefined ? { line, text } : { line, text, broken }) });
}

/** What the framer hands its records to. */
interface FramingSink<T> {
  /** A record framed: its text, the line it starts on, and why it cannot be a JSON object if the framing can tell. */
  framed(line: number, text: string, broken: string | undefined): T;
  /**
   * Reads the record whose `{` is text[start], if it can do so whole before `stop`, straight from the text: pushes it
   * and returns where it ends; -1 leaves it to the framing.
   */
  readAt?(text: string, start: number, stop: number, line: number, out: T[]): number;
}

async function* frame<T>(bytes: AsyncIterable<Uint8Array>, options: FramingOptions, sink: FramingSink<T>): AsyncGenerator<T[]> {
  const batchSize = options.batchSize ?? 1024;
  const framer = new Framer(options.fileName, options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS, options.start?.line ?? 1, sink);
  let out: T[] = [];
  const pieces = utf8Pieces(bytes, options.fileName, { startByte: options.start?.byte, lineAt: (textBefore) => framer.lineAt(textBefore) });
  for await (const piece of pieces) {
    framer.push(piece.text, out);
    if (piece.last) framer.end(out);
    else if (out.length >= batchSize) {
      yield out;
      out = [];
    }
  }
  for (let start = 0; start < out.length; start += batchSize) yield out.slice(start, start + batchSize);
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

const BETWEEN = 0;
const VALUE = 1;
const BARE = 2;

/** The framing state machine: text in as it is decoded, whole records out; one cut off at a piece's end waits. */
class Framer<T> {
  private state = BETWEEN;
  private inString = false;
  private escape = false;
  private depth = 0;
  private deepest = 0;
  private line: number;
  private recordLine: number;
  /** The text of the record being framed that came in earlier pieces. */
  private parts: string[] = [];
  private partsLength = 0;

  constructor(
    private readonly fileName: string,
    private readonly maxRecordChars: number,
    firstLine: number,
    private readonly sink: FramingSink<T>,
  ) {
    this.line = firstLine;
    this.recordLine = firstLine;
  }

  push(text: string, out: T[]): void {
    const end = text.length;
    let start = this.state === BETWEEN ? -1 : 0;
    let i = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (this.state === BETWEEN) {
        if (c === LF) this.line++;
        else if (c !== SPACE && c !== TAB && c !== CR) {
          if (c === OPEN_BRACE && this.sink.readAt !== undefined) {
            const stop = this.sink.readAt(text, i, Math.min(end, i + this.maxRecordChars), this.line, out);
            if (stop >= 0) {
              i = stop;
              continue;
            }
          }
          start = i;
          this.recordLine = this.line;
          if (c === OPEN_BRACE || c === OPEN_BRACKET) {
            this.state = VALUE;
            this.depth = 1;
            this.deepest = 1;
          } else {
            this.state = BARE;
          }
        }
        i++;
        continue;
      }
      if (this.state === BARE) {
        if (c === LF) {
          this.emit(text, start, i, out, 'not a JSON object');
          start = -1;
          continue; // the line break is counted between records
        }
        i++;
        continue;
      }
      // VALUE
      if (this.inString) {
        // A line feed ends the record even right after a backslash: every line feed does (jsonl-split.ts cuts there).
        if (c === LF) {
          this.emit(text, start, i, out, 'a string is not closed before the line ends');
          start = -1;
          continue;
        }
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) this.inString = false;
        i++;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++this.depth > this.deepest) this.deepest = this.depth;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--this.depth === 0) {
          this.emit(text, start, i + 1, out, this.deepest > MAX_DEPTH ? `nested deeper than ${MAX_DEPTH} levels` : undefined);
          start = -1;
        }
      } else if (c === LF) {
        this.emit(text, start, i, out, 'the record ends before its brackets close (truncated?)');
        start = -1;
        continue;
      }
      i++;
    }
    if (start >= 0) {
      this.parts.push(start === 0 ? text : text.slice(start));
      this.partsLength += end - start;
      this.checkLength(this.partsLength);
    }
  }

  /** The line after the text pushed so far and then `more` (a record's text holds no line break: one ends it). */
  lineAt(more: string): number {
    let line = this.line;
    for (let at = more.indexOf('\n'); at >= 0; at = more.indexOf('\n', at + 1)) line++;
    return line;
  }

  end(out: T[]): void {
    if (this.state === BETWEEN) return;
    const reason = this.state === BARE ? 'not a JSON object' : 'the file ends inside the record (truncated)';
    this.emit('', 0, 0, out, reason);
  }

  private emit(text: string, start: number, stop: number, out: T[], broken?: string): void {
    this.checkLength(this.partsLength + stop - Math.max(start, 0));
    let record = this.parts.length === 0 ? text.slice(start, stop) : this.parts.join('') + text.slice(0, stop);
    if (record.charCodeAt(record.length - 1) === CR) record = record.slice(0, -1);
    out.push(this.sink.framed(this.recordLine, record, broken));
    this.parts = [];
    this.partsLength = 0;
    this.state = BETWEEN;
    this.inString = false;
    this.escape = false;
    this.depth = 0;
  }

  private checkLength(length: number): void {
    if (length > this.maxRecordChars) {
      throw new InputFileError(
        `${this.fileName}: line ${this.recordLine}: a record longer than ${this.maxRecordChars.toLocaleString('en-US')} characters ` +
          '(source.max_record_chars); is a bracket or quote left open?',
      );
    }
  }
}

/** Flat reads given up in a row before the flat path is tried only now and then. */
const FLAT_MISSES = 16;

/** Where a column's value is in a record: a top-level key, or a path of keys and array indexes. */
type Step = string | number;

interface ColumnPath {
  /** The key as written in `source:` (tried first: keys may hold dots). */
  key?: string;
  steps: Step[];
  json: boolean;
}

/** `geometry.coordinates[1]` → ['geometry', 'coordinates', 1]; undefined when the text is no path. */
export function parsePath(text: string): Step[] | undefined {
  const steps: Step[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|(\.)/gy;
  let expectKey = true;
  let match: RegExpExecArray | null;
  let at = 0;
  while (at < text.length && (match = pattern.exec(text)) !== null) {
    at = pattern.lastIndex;
    if (match[1] !== undefined) {
      if (!expectKey) return undefined;
      steps.push(match[1]);
      expectKey = false;
    } else if (match[2] !== undefined) {
      if (steps.length === 0) return undefined;
      steps.push(Number(match[2]));
      expectKey = false;
    } else {
      if (expectKey) return undefined;
      expectKey = true;
    }
  }
  return at === text.length && !expectKey && steps.length > 0 ? steps : undefined;
}

/** Turns framed records into field texts in contract column order, and tracks the fields no column reads. */
class FieldMapper implements FramingSink<SourceRecord> {
  private readonly width: number;
  /** Top-level key → index of the column read by its snake_case (-1: none). */
  private readonly byKey = new Map<string, number>();
  private readonly snakeIndex = new Map<string, number>();
  private readonly paths: Array<ColumnPath | undefined>;
  /** Top-level keys a `source:` names (as a key, or as a path's first step). */
  private readonly sourceKeys = new Set<string>();
  private readonly json: boolean[];
  private readonly ignored = new Set<string>();
  private readonly reject: boolean;
  readonly readAt: FramingSink<SourceRecord>['readAt'];

  constructor(
    private readonly contract: DatasetContract,
    private readonly fileName: string,
    private readonly exact: boolean,
  ) {
    this.width = contract.columns.length;
    this.reject = contract.file.extraColumns === 'reject';
    this.json = contract.columns.map((c) => c.type.kind === 'string' && c.type.json === true);
    this.paths = contract.columns.map((column, index) => this.pathOf(column, index));
    if (!exact) {
      const flat = new FlatRecordReader(this.width, (key) => this.targetOf(key), jsonText, (key) => this.ignored.add(key));
      // Records that are not flat (nested values) cost a flat read that gives up: after a run of them, only one
      // record in 256 is tried flat, until one is read.
      let misses = 0;
      let skipped = 0;
      this.readAt = (text, start, stop, line, out) => {
        if (misses >= FLAT_MISSES && (++skipped & 255) !== 0) return -1;
        const fields = flat.read(text, start, stop);
        if (fields === undefined) {
          misses++;
          return -1;
        }
        misses = 0;
        out.push({ line, fields, text: text.slice(start, flat.end) });
        return flat.end;
      };
    }
  }

  /** What a top-level key's value becomes in a flat record, as `framed` below would read it. */
  private targetOf(key: string): KeyTarget {
    const fields: number[] = [];
    const snake = this.snakeIndex.get(toSnakeCase(key));
    if (snake !== undefined) fields.push(snake);
    // A path column takes the key as written; a longer path finds no object under a flat record's key: the field is ''.
    this.paths.forEach((path, index) => {
      if (path?.key === key) fields.push(index);
    });
    const ignored = snake === undefined && !this.sourceKeys.has(key);
    return {
      fields,
      json: fields.map((index) => this.json[index]!),
      ignored,
      exactOnly: (ignored && this.reject) || key === '__proto__' || isArrayIndex(key),
    };
  }

  private pathOf(column: ColumnContract, index: number): ColumnPath | undefined {
    if (column.source === undefined) {
      this.snakeIndex.set(column.name, index);
      return undefined;
    }
    const steps = parsePath(column.source) ?? [column.source];
    this.sourceKeys.add(column.source);
    this.sourceKeys.add(String(steps[0]));
    return { key: column.source, steps, json: this.json[index]! };
  }

  framed(line: number, text: string, broken: string | undefined): SourceRecord {
    const fields = new Array<string>(this.width).fill('');
    if (broken !== undefined) return { line, fields, text, malformed: broken };
    let value: unknown = this.exact ? undefined : parseJsonObjectFast(text, parseNumber);
    if (value === undefined) {
      try {
        value = parseJsonExact(text);
      } catch (error) {
        const reason = error instanceof RangeError ? `nested too deeply` : `malformed JSON: ${(error as Error).message}`;
        return { line, fields, text, malformed: reason };
      }
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { line, fields, text, malformed: `${describe(value)}, not a JSON object` };
    }
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      let index = this.byKey.get(key);
      if (index === undefined) {
        index = this.snakeIndex.get(toSnakeCase(key)) ?? -1;
        this.byKey.set(key, index);
      }
      if (index >= 0) {
        if (this.paths[index] === undefined) fields[index] = this.text(object[key], index);
      } else if (!this.sourceKeys.has(key)) {
        if (this.reject) {
          throw new InputFileError(
            `${this.fileName}: line ${line}: field "${key}" is not declared by the contract of ${this.contract.name} (file.extra_columns: reject)`,
          );
        }
        this.ignored.add(key);
      }
    }
    for (let index = 0; index < this.width; index++) {
      const path = this.paths[index];
      if (path === undefined) continue;
      fields[index] = this.text(path.key !== undefined && Object.hasOwn(object, path.key) ? object[path.key] : walk(object, path.steps), index);
    }
    // Only an escape can make half a surrogate pair (the bytes were checked as UTF-8): UTF-8 cannot hold one, and
    // writing it would silently turn it into U+FFFD, so the record is quarantined instead, its text kept as it is.
    if (text.includes('\\u')) {
      const index = fields.findIndex(hasLoneSurrogate);
      if (index >= 0) {
        const column = this.contract.columns[index]!.name;
        return { line, fields, text, malformed: `${column}: a \\u escape of half a surrogate pair, which is not a character (UTF-8 cannot hold it)` };
      }
    }
    return { line, fields, text };
  }

  private text(value: unknown, index: number): string {
    if (value === null || value === undefined) return '';
    return this.json[index] ? jsonText(value) : fieldText(value);
  }

  /** Top-level keys no column reads, in the order they were first met. */
  ignoredFields(): string[] {
    return [...this.ignored];
  }
}

/** A value as the caster reads it: strings as they are, numbers as written, nested values as JSON; null is ''. */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof NumberText) return value.text;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return jsonText(value);
}

function walk(value: unknown, steps: Step[]): unknown {
  let at = value;
  for (const step of steps) {
    // A number (NumberText) has no fields: `x.text` under a number is no value, not the number's text.
    if (at === null || typeof at !== 'object' || at instanceof NumberText) return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(at)) return undefined;
      at = at[step];
    } else {
      if (Array.isArray(at) || !Object.hasOwn(at, step)) return undefined;
      at = (at as Record<string, unknown>)[step];
    }
  }
  return at;
}

/** A key V8 may list before the others in an object (an array index such as `17`; any digits, to be safe). */
function isArrayIndex(key: string): boolean {
  return /^\d+$/.test(key);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof NumberText) return 'a number';
  return typeof value === 'string' ? 'a string' : typeof value === 'boolean' ? 'a boolean' : 'a value';
}
