import { openCsvReader } from './csv.js';
import { byteLaneReads, openCsvByteReader, type CsvLaneReader } from './csv-bytes.js';
import { openJsonLinesReader } from './jsonl.js';
import type { OpenRecordReader, RecordReaderOptions, SourceFormat } from './record-reader.js';

/** The reader of each `source.format`: the one place a new input format is named. */
const READERS: Record<SourceFormat, OpenRecordReader> = {
  csv: openCsvReader,
  jsonl: openJsonLinesReader,
};

/**
 * Opens the reader the contract's `source.format` names over the uncompressed bytes of one object. A CSV whose
 * delimiter and quote the byte lane reads comes through it (csv-bytes.ts), unless `byteLane` is false: its batches may
 * then be byte batches. The records are the same either way.
 */
export function openRecordReader(bytes: AsyncIterable<Uint8Array>, options: RecordReaderOptions, byteLane = true): Promise<CsvLaneReader> {
  const { contract } = options;
  if (byteLane && contract.format === 'csv' && byteLaneReads(contract.csv.delimiter, contract.csv.quote)) return openCsvByteReader(bytes, options);
  return READERS[contract.format](bytes, options);
}
