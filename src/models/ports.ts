import type { ModelDefinition } from './model.js';
import type { Change } from './periods.js';

/**
 * What the models core needs from an engine: DuckDB over the local lake, or Athena over S3. Engine differences (how a
 * partition is written and swapped in, how a view is created, how refreshes of one model are kept apart) live behind
 * it; the models' SQL is the same on both.
 */
export interface ModelEngine {
  /** Creates or replaces a view model. */
  createView(model: ModelDefinition): Promise<void>;
  /** The partitions (periods) a table model has now; [] when it has none or does not exist yet. */
  partitions(model: ModelDefinition): Promise<string[]>;
  /** The periods the model's SELECT yields now: what a full refresh writes. */
  periodsInResult(model: ModelDefinition): Promise<string[]>;
  /**
   * Writes the given periods of a partitioned model (or, with `periods` undefined, an unpartitioned table whole) from
   * one evaluation of its SELECT, each to a fresh location, and swaps them in, then removes the old locations: readers
   * see the old rows or the new ones, never a half-written partition. A period the SELECT no longer yields is dropped.
   * Resolves with the rows written, or undefined where the engine does not say (UNLOAD).
   */
  materialize(model: ModelDefinition, periods: string[] | undefined, refreshId: string): Promise<number | undefined>;
  /** Runs `work` with the model's refreshes serialized: two refreshes of one model never overlap. */
  serialized<T>(model: string, work: () => Promise<T>): Promise<T>;
  recordRefresh(record: RefreshRecord): Promise<void>;
  /** The last refresh of each model. */
  refreshRecords(): Promise<RefreshRecord[]>;
}

/** On AWS, refreshes travel through a queue: one message per model and change, grouped by model (SQS FIFO). */
export interface RefreshMessage {
  model: string;
  change: Change;
  /** What caused it, for logs and notices: a raw key, or the upstream model. */
  cause: string;
}

export interface RefreshQueue {
  send(messages: RefreshMessage[]): Promise<void>;
}

export interface RefreshRecord {
  model: string;
  refreshId: string;
  at: string;
  state: 'fresh' | 'failed';
  /** Partitions written this time; `['*']` for an unpartitioned table; [] for a view. */
  partitions: string[];
  rows: number;
  /** A hash of the SQL the model was built from: a changed model is stale until rebuilt. */
  sqlHash: string;
  error?: string;
}
