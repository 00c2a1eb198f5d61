import type { DatasetContract } from '../contract/contract.js';
import type { RunManifest } from '../contract/run-manifest.js';
import type { RangeKeyList } from '../checks/range-keys.js';
import type { QuarantineFormat } from '../read/record-reader.js';

/**
 * One byte range of a source object, as a worker thread or a Step Functions Map iteration receives it: plain data, so
 * it crosses a thread or a state machine unchanged.
 */
export interface RangeTask {
  /** 0-based, in file order. */
  index: number;
  /** Bytes [start, end) of the object; both are record boundaries (csv-split.ts, jsonl-split.ts). */
  start: number;
  end: number;
  /** 1-based line of the byte at `start`. */
  line: number;
  /** A CSV file's header fields, read before the file was cut: ranges after the first start on data (JSON lines: none). */
  header: string[];
  /** Lines of this range's rows whose key an earlier range holds, each with that earlier row's line. */
  repeated?: Array<[number, number]>;
}

/** What a range produced: its counts and files as a manifest of the range (its quarantine file is a part), and its keys. */
export interface RangeResult {
  index: number;
  manifest: RunManifest;
  keys: RangeKeyList;
  /** Fields no column reads, first met first (RecordReader.ignoredFields): the settle step words the file's warning. */
  ignoredFields?: string[];
  /** How the range's quarantine part is kept (absent: CSV, as ranges were kept before JSON lines were cut). */
  quarantine?: QuarantineFormat;
}

/** A range that broke: `inputError` when the data was at fault (the file is then judged as a whole, serially). */
export interface RangeFailure {
  index: number;
  error: string;
  inputError: boolean;
}

export type RangeOutcome = RangeResult | RangeFailure;

/** Runs ranges of one object (in worker threads, in-process, …) and reports every one, failed or not, in any order. */
export type RangeRunner = (sourceKey: string, contract: DatasetContract, tasks: RangeTask[]) => Promise<RangeOutcome[]>;

export function isRangeFailure(outcome: RangeOutcome): outcome is RangeFailure {
  return 'error' in outcome;
}
