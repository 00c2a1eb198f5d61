import type { DatasetContract } from '../contract/contract.js';
import { InputFileError } from '../contract/errors.js';
import type { Lake } from '../contract/ports.js';
import { findCsvCuts } from '../read/csv-split.js';
import type { RangeCut } from '../read/range-cuts.js';
import { readCsvRecords } from '../read/csv.js';
import { isGzip } from '../read/decompress.js';
import { resolveHeader } from '../read/header.js';
import { findJsonLinesCuts } from '../read/jsonl-split.js';
import type { RangeTask } from './range-task.js';

/**
 * How one source object is cut into byte ranges for parallel conversion, or `undefined` when it is read whole: a
 * gzip stream (it cannot be entered in the middle), a file too small to be worth it, a store without ranged reads, a
 * CSV header the contract refuses, a CSV file the scanner would refuse (the serial run then reports it exactly as always)
 * or a JSON-lines file without line feeds. CSV is cut outside quotes (csv-split.ts), JSON lines after any line feed
 * (jsonl-split.ts); a JSON-lines task's `header` is empty (it has none: its ranges read fields by name).
 */

export interface RangePlanOptions {
  /** Ranges wanted (the workers available). */
  parts: number;
  /** No range smaller than this (default 16 MiB): below it a worker costs more than it saves. */
  minRangeBytes?: number;
}

export const DEFAULT_MIN_RANGE_BYTES = 16 * 1024 * 1024;

export async function planRanges(
  sourceKey: string,
  contract: DatasetContract,
  lake: Lake,
  options: RangePlanOptions,
): Promise<RangeTask[] | undefined> {
  const { raw } = lake;
  if (!raw.readRange || options.parts < 2) return undefined;
  const size = (await raw.list(sourceKey)).find((o) => o.key === sourceKey)?.size;
  const minRangeBytes = Math.max(1, options.minRangeBytes ?? DEFAULT_MIN_RANGE_BYTES);
  const parts = Math.min(options.parts, Math.floor((size ?? 0) / minRangeBytes));
  if (size === undefined || parts < 2) return undefined;
  if (isGzip(await readAll(await raw.readRange(sourceKey, 0, 2)))) return undefined;

  const plan = contract.format === 'csv' ? await planCsv(sourceKey, contract, lake, size, parts) : await planJsonLines(sourceKey, lake, size, parts);
  if (!plan) return undefined;
  const { header, cuts } = plan;
  const starts = [{ byte: 0, line: 1 }, ...cuts];
  return starts.map((cut, index) => ({
    index,
    start: cut.byte,
    end: starts[index + 1]?.byte ?? size,
    line: cut.line,
    header,
  }));
}

interface Plan {
  header: string[];
  cuts: RangeCut[];
}

async function planCsv(sourceKey: string, contract: DatasetContract, lake: Lake, size: number, parts: number): Promise<Plan | undefined> {
  const split = await findCsvCuts(await lake.raw.read(sourceKey), { ...contract.csv, size, parts });
  if (split.malformed || split.cuts.length === 0 || !readAsListed(split, size)) return undefined;
  // The header is the first range's first record (a cut is never before the end of a record): only that range is read.
  const header = await readHeader(sourceKey, contract, lake, split.cuts[0]!.byte);
  if (!header) return undefined;
  return { header, cuts: split.cuts };
}

async function planJsonLines(sourceKey: string, lake: Lake, size: number, parts: number): Promise<Plan | undefined> {
  const split = await findJsonLinesCuts(await lake.raw.read(sourceKey), { size, parts });
  if (split.cuts.length === 0 || !readAsListed(split, size)) return undefined;
  return { header: [], cuts: split.cuts };
}

/** The bytes read fit the size the listing gave: all of them, or no more when reading stopped at the last cut. */
function readAsListed(split: { size: number; partial?: boolean }, size: number): boolean {
  return split.partial ? split.size <= size : split.size === size;
}

/** The file's header fields, if the contract takes them, read from its first `end` bytes. */
async function readHeader(sourceKey: string, contract: DatasetContract, lake: Lake, end: number): Promise<string[] | undefined> {
  const batches = readCsvRecords(await lake.raw.readRange!(sourceKey, 0, end), { fileName: sourceKey, ...contract.csv, batchSize: 1 });
  try {
    const first = await batches.next();
    const fields = first.done ? undefined : first.value[0]?.fields;
    if (!fields) return undefined;
    resolveHeader(fields, contract, sourceKey);
    return fields;
  } catch (error) {
    if (error instanceof InputFileError) return undefined;
    throw error;
  } finally {
    await batches.return(undefined);
  }
}

async function readAll(bytes: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return Buffer.concat(chunks);
}
