import { format, type CsvFormatterStream } from '@fast-csv/format';
import type { ObjectSink, ObjectStore } from '../contract/ports.js';
import type { RowRejection } from '../typing/typed-row.js';
import type { QuarantineFormat, SourceRecord } from '../read/record-reader.js';
import { quarantineKey, rangeQuarantineKey } from './layout.js';

/**
 * Rejected rows of one source file, as CSV in the quarantine zone: the source's own columns and values, then why —
 * `_error_rule`, `_error_column`, `_error_value`, `_error_message`, `_source_line` — so a fixed file can be replayed.
 * Opened on the first bad row; a clean file leaves no quarantine object.
 */
export const QUARANTINE_COLUMNS = ['_error_rule', '_error_column', '_error_value', '_error_message', '_source_line'];

/** The header row of a quarantine file, exactly as the writer writes it. */
export function quarantineHeaderRow(header: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const formatter = format<string[], string[]>({ headers: [...header, ...QUARANTINE_COLUMNS], writeHeaders: true, alwaysWriteHeaders: true, includeEndRowDelimiter: true });
    formatter.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    formatter.on('error', reject);
    formatter.on('end', () => resolve(text));
    formatter.end();
  });
}

/** Where one source file's rejected records go, in the shape its format keeps them. */
export interface RowQuarantine {
  readonly key: string;
  rows: number;
  quarantineRow(record: SourceRecord, rejection: RowRejection): Promise<void>;
  /** Completes the quarantine object; resolves with its key, or undefined when no row was quarantined. */
  close(): Promise<string | undefined>;
  abort(): Promise<void>;
}

/** The quarantine of one source file, as its reader's format keeps rejected records. */
export function quarantineWriterFor(
  format: QuarantineFormat,
  store: ObjectStore,
  table: string,
  sourceKey: string,
  header: string[],
  /** A byte range of the file (range-task.ts): its rows go to a part file without a header, joined when settled. */
  range?: number,
): RowQuarantine {
  switch (format.kind) {
    case 'csv':
      if (range !== undefined) return new QuarantineWriter(store, rangeQuarantineKey(table, sourceKey, range, 'csv'), header, false);
      return new QuarantineWriter(store, quarantineKey(table, sourceKey), header);
    case 'jsonl':
      return new JsonLinesQuarantineWriter(store, range === undefined ? quarantineKey(table, sourceKey, 'jsonl') : rangeQuarantineKey(table, sourceKey, range, 'jsonl'));
  }
}

/** The extension of a format's quarantine files, the whole file's and a range's part alike. */
export function quarantineExtension(format: QuarantineFormat): string {
  return format.kind;
}

/**
 * The one quarantine file of a source converted in ranges, opened for the parts to be appended in file order: a CSV
 * file starts with its header row (the parts have none), a JSON-lines file has none to write.
 */
export async function openJoinedQuarantine(
  format: QuarantineFormat,
  store: ObjectStore,
  table: string,
  sourceKey: string,
  header: () => string[],
): Promise<{ key: string; sink: ObjectSink }> {
  const key = quarantineKey(table, sourceKey, quarantineExtension(format));
  if (format.kind === 'jsonl') return { key, sink: await store.openSink(key, 'application/x-ndjson') };
  const sink = await store.openSink(key, 'text/csv');
  try {
    await sink.write(Buffer.from(await quarantineHeaderRow(header())));
  } catch (error) {
    await sink.abort();
    throw error;
  }
  return { key, sink };
}

/**
 * Rejected JSON-lines records, one JSON object a line: `_error_rule`, `_error_column`, `_error_value`,
 * `_error_message`, `_source_line`, then the record itself, its text kept byte for byte — as `_record` when it is JSON,
 * else as the string `_record_text` — so `glueless replay` can land it again once fixed.
 */
export class JsonLinesQuarantineWriter implements RowQuarantine {
  private sink?: ObjectSink;
  private readonly encoder = new TextEncoder();
  rows = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
  ) {}

  async quarantineRow(record: SourceRecord, rejection: RowRejection): Promise<void> {
    this.sink ??= await this.store.openSink(this.key, 'application/x-ndjson');
    this.rows++;
    const text = record.text ?? '';
    const head = JSON.stringify({
      _error_rule: rejection.rule,
      _error_column: rejection.column,
      _error_value: rejection.value,
      _error_message: rejection.message,
      _source_line: record.line,
    });
    const line = isJson(text) ? `${head.slice(0, -1)},"_record":${text}}\n` : `${head.slice(0, -1)},"_record_text":${JSON.stringify(text)}}\n`;
    await this.sink.write(this.encoder.encode(line));
  }

  async close(): Promise<string | undefined> {
    if (!this.sink) return undefined;
    await this.sink.close();
    return this.key;
  }

  async abort(): Promise<void> {
    await this.sink?.abort();
  }
}

/** Whether the text is one JSON value (V8's JSON.parse does not recurse: no depth can crash it). */
function isJson(text: string): boolean {
  if (/[\n\r]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export class QuarantineWriter implements RowQuarantine {
  private formatter?: CsvFormatterStream<string[], string[]>;
  private sink?: ObjectSink;
  private pending: Promise<void> = Promise.resolve();
  private failure?: Error;
  rows = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly header: string[],
    /** A byte range's part file has no header row: the settle step writes one for the joined file. */
    private readonly headerRow = true,
  ) {}

  async quarantineRow({ fields, line }: SourceRecord, rejection: RowRejection): Promise<void> {
    if (!this.formatter) await this.open();
    this.rows++;
    const row = [...this.fitToHeader(fields, rejection), rejection.rule, rejection.column, rejection.value, rejection.message, String(line)];
    if (!this.formatter!.write(row)) await new Promise((resolve) => this.formatter!.once('drain', resolve));
    if (this.failure) throw this.failure;
  }

  /**
   * A ragged row is padded to the header's width; surplus fields go into `_error_value` (as a JSON array, so a field
   * holding a comma stays one field) so the error columns stay aligned and nothing the row held is lost.
   */
  private fitToHeader(fields: string[], rejection: RowRejection): string[] {
    const width = this.header.length;
    if (fields.length === width) return fields;
    if (fields.length < width) return [...fields, ...new Array<string>(width - fields.length).fill('')];
    rejection.value = JSON.stringify(fields.slice(width));
    return fields.slice(0, width);
  }

  /** Completes the quarantine object; resolves with its key, or undefined when no row was quarantined. */
  async close(): Promise<string | undefined> {
    if (!this.formatter) return undefined;
    await new Promise<void>((resolve) => this.formatter!.end(resolve));
    await this.pending;
    if (this.failure) throw this.failure;
    await this.sink!.close();
    return this.key;
  }

  async abort(): Promise<void> {
    this.formatter?.destroy();
    await this.sink?.abort();
  }

  private async open(): Promise<void> {
    this.sink = await this.store.openSink(this.key, 'text/csv');
    this.formatter = format<string[], string[]>({ headers: [...this.header, ...QUARANTINE_COLUMNS], writeHeaders: this.headerRow, includeEndRowDelimiter: true });
    this.formatter.on('data', (chunk: Buffer) => {
      this.pending = this.pending.then(() => this.sink!.write(new Uint8Array(chunk))).catch((error) => {
        this.failure = error as Error;
      });
    });
  }
}
