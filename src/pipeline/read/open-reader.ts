import { openCsvReader } from './csv.js';
import { openJsonLinesReader } from './jsonl.js';
import type { OpenRecordReader, RecordReader, RecordReaderOptions, SourceFormat } from './record-reader.js';

/** The reader of each `source.format`: the one place a new input format is named. */
const READERS: Record<SourceFormat, OpenRecordReader> = {
  csv: openCsvReader,
  jsonl: openJsonLinesReader,
};

/** Opens the reader the contract's `source.format` names over the uncompressed bytes of one object. */
export function openRecordReader(bytes: AsyncIterable<Uint8Array>, options: RecordReaderOptions): Promise<RecordReader> {
  return READERS[options.contract.format](bytes, options);
}
