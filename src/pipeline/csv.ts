import { parse, CsvError } from 'csv-parse';
import { InputFileError } from './errors.js';

/**
 * The CSV reader: bytes in, records out, in batches, never the whole file in memory. One module so other input
 * formats (JSON lines, gzip) can sit beside it behind the same `AsyncIterable<SourceRecord[]>` shape.
 *
 * Bytes must be UTF-8 (a BOM is dropped); anything else is an InputFileError naming the file and byte offset, never
 * silently replaced characters.
 */

export interface SourceRecord {
  /** 1-based line in the source file where the record starts (records may span lines inside quotes). */
  line: number;
  fields: string[];
}

export interface CsvReadOptions {
  /** Named in every error message. */
  fileName: string;
  delimiter: string;
  quote: string;
  /** Records handed on per batch: fewer awaits per row. */
  batchSize?: number;
}

export async function* readCsvRecords(
  bytes: AsyncIterable<Uint8Array>,
  options: CsvReadOptions,
): AsyncGenerator<SourceRecord[]> {
  const parser = parse({
    delimiter: options.delimiter,
    quote: options.quote,
    escape: options.quote,
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  const batchSize = options.batchSize ?? 2048;
  const feeding = feedUtf8(bytes, parser, options.fileName);

  let batch: SourceRecord[] = [];
  let previousEndLine = 0;
  let previousEmptyLines = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: RecordInfo }>) {
      const skipped = info.empty_lines - previousEmptyLines;
      batch.push({ line: previousEndLine + 1 + skipped, fields: record });
      previousEndLine = info.lines;
      previousEmptyLines = info.empty_lines;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    throw asInputFileError(error, options.fileName);
  }
  await feeding;
  if (batch.length > 0) yield batch;
}

interface RecordInfo {
  lines: number;
  empty_lines: number;
}

/** Decodes the byte stream strictly as UTF-8 into the parser, honouring its backpressure. */
async function feedUtf8(bytes: AsyncIterable<Uint8Array>, parser: ReturnType<typeof parse>, fileName: string) {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let offset = 0;
  try {
    for await (const chunk of bytes) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new InputFileError(`${fileName}: not valid UTF-8 near byte ${offset}; save the file as UTF-8`);
      }
      offset += chunk.byteLength;
      if (!parser.write(text)) await waitForDrain(parser);
    }
    try {
      const rest = decoder.decode();
      if (rest) parser.write(rest);
    } catch {
      throw new InputFileError(`${fileName}: not valid UTF-8 at the end of the file (truncated character)`);
    }
    parser.end();
  } catch (error) {
    parser.destroy(error as Error);
  }
}

function waitForDrain(parser: ReturnType<typeof parse>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      parser.off('drain', done);
      parser.off('close', done);
      resolve();
    };
    parser.on('drain', done);
    parser.on('close', done);
  });
}

function asInputFileError(error: unknown, fileName: string): Error {
  if (error instanceof InputFileError) return error;
  if (error instanceof CsvError) {
    const line = (error as CsvError & { lines?: number }).lines;
    const reason = error.message.split(':')[0]!.trim();
    const detail = error.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed' : error.message;
    return new InputFileError(`${fileName}: line ${line ?? '?'}: malformed CSV (${reason}): ${detail}`);
  }
  return error as Error;
}
