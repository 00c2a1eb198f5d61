import { format } from '@fast-csv/format';
import { readCsvRecords } from '../read/csv.js';
import { InputFileError } from '../contract/errors.js';
import { QUARANTINE_COLUMNS } from '../write/quarantine.js';
import { frameJsonRecords, jsonText, parseJsonExact } from '../read/jsonl.js';

/**
 * Replaying quarantined rows: a quarantine file, after the user fixed its values, becomes a clean CSV with the
 * source's own columns again (the `_error_*` and `_source_line` columns dropped), ready to go through the pipeline
 * like any upload. A whole rejected file has no such columns and passes through unchanged.
 */

export async function* replayableCsv(quarantineCsv: AsyncIterable<Uint8Array>, fileName: string): AsyncGenerator<Uint8Array> {
  const formatter = format<string[], string[]>({ includeEndRowDelimiter: true });
  const chunks: Uint8Array[] = [];
  formatter.on('data', (chunk: Buffer) => chunks.push(new Uint8Array(chunk)));
  let keep: number[] | undefined;
  for await (const batch of readCsvRecords(quarantineCsv, { fileName, delimiter: ',', quote: '"' })) {
    for (const record of batch) {
      if (!keep) {
        keep = record.fields.map((_, index) => index).filter((index) => !QUARANTINE_COLUMNS.includes(record.fields[index]!.trim()));
        if (keep.length === 0) throw new InputFileError(`${fileName}: no source columns to replay`);
      }
      formatter.write(keep.map((index) => record.fields[index] ?? ''));
    }
    yield* chunks.splice(0);
  }
  if (!keep) throw new InputFileError(`${fileName}: file is empty; nothing to replay`);
  const ended = new Promise((resolve) => formatter.once('end', resolve));
  formatter.end();
  await ended;
  yield* chunks.splice(0);
}

/**
 * A JSON-lines quarantine file back to JSON lines: each line's `_record` (as JSON text, numbers as written) or
 * `_record_text` (as it was); a line without either (a whole rejected file) passes through unchanged.
 */
export async function* replayableJsonLines(quarantine: AsyncIterable<Uint8Array>, fileName: string): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let lines = 0;
  for await (const batch of frameJsonRecords(quarantine, { fileName })) {
    const out: string[] = [];
    for (const record of batch) {
      lines++;
      out.push(`${replayedLine(record.text, record.broken === undefined)}\n`);
    }
    yield encoder.encode(out.join(''));
  }
  if (lines === 0) throw new InputFileError(`${fileName}: file is empty; nothing to replay`);
}

function replayedLine(text: string, framed: boolean): string {
  if (!framed) return text;
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch {
    return text;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return text;
  const entry = value as Record<string, unknown>;
  if (Object.hasOwn(entry, '_record')) return jsonText(entry._record);
  if (typeof entry._record_text === 'string') return entry._record_text;
  return text;
}

/** The raw key a replayed file is landed under: its own, inside the dataset's prefix, so replaying again overwrites. */
export function replayKey(prefix: string, quarantineFileName: string): string {
  const base = quarantineFileName.split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${prefix}replay/${base}`;
}
