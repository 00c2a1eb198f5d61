import type { DatasetContract } from './contract.js';
import type { RunManifest } from './run-manifest.js';
import type { ColumnType } from './column-type.js';

/**
 * The ports the pipeline core talks through. AWS adapters (S3, Athena, SNS) and local adapters (a lake directory,
 * DuckDB) implement them; the core never knows which one it has.
 */

export interface ObjectInfo {
  key: string;
  size: number;
  /** When the object was last written (S3 LastModified, a file's mtime). */
  lastModified?: Date;
}

/** A streaming upload: bytes go out as they are written; nothing is visible under `key` until `close` succeeds. */
export interface ObjectSink {
  /** Resolves when the store can take more (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Completes the object; resolves with its size in bytes. */
  close(): Promise<number>;
  /** Discards everything written; leaves no object and no parts behind. */
  abort(): Promise<void>;
}

/**
 * One zone of the lake (raw, processed, quarantine): an S3 bucket and prefix, or a directory. Keys are relative to the
 * zone, use `/` as separator and never start with `/`.
 */
export interface ObjectStore {
  /** Streams an object's bytes. Throws ObjectNotFoundError when it does not exist. */
  read(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Streams bytes [start, end) of an object, for a file converted in byte ranges. Throws ObjectNotFoundError. */
  readRange?(key: string, start: number, end: number): Promise<AsyncIterable<Uint8Array>>;
  /** Writes a whole small object (manifests, reason files). */
  write(key: string, body: Uint8Array | string, contentType?: string): Promise<number>;
  /** Opens a streaming write for a large object (Parquet, quarantine CSV). */
  openSink(key: string, contentType?: string): Promise<ObjectSink>;
  /** Every object under `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes the given keys; missing keys are not an error. */
  delete(keys: string[]): Promise<void>;
  /** Where a key lives, as the catalog names it: `s3://bucket/prefix/key` or an absolute path. */
  locationOf(key: string): string;
}

/** One partition of a table: its key values in partition-column order, and the location of its files. */
export interface PartitionRef {
  values: Array<{ name: string; value: string }>;
  location: string;
}

/** Where tables are declared and partitions registered: Athena (Glue Data Catalog) or the local DuckDB catalog. */
export interface Catalog {
  /** Creates the table from the contract if it does not exist (CREATE EXTERNAL TABLE IF NOT EXISTS). */
  ensureTable(contract: DatasetContract, location: string): Promise<void>;
  /** Evolves the table by new nullable columns (ALTER TABLE … ADD COLUMNS). */
  addColumns(contract: DatasetContract, columns: Array<{ name: string; type: ColumnType }>): Promise<void>;
  /** Registers partitions (ALTER TABLE … ADD IF NOT EXISTS PARTITION); already registered ones are left as they are. */
  addPartitions(contract: DatasetContract, partitions: PartitionRef[]): Promise<void>;
  /**
   * Runs `work`, whose calls to this catalog belong together (a run's registration), as one unit where the catalog can
   * do that more cheaply: the local catalog opens its database file once for all of them instead of once each.
   */
  together?<T>(work: () => Promise<T>): Promise<T>;
}

/** SUCCEEDED: rows written and queryable. REJECTED: the file was refused as a whole and kept in quarantine (retrying
 * cannot help). FAILED: the run broke (an AWS error, a bug); the event is retried and then reaches the failure queue. */
export type RunStatus = 'SUCCEEDED' | 'REJECTED' | 'FAILED';

export interface RunNotice {
  status: RunStatus;
  dataset: string;
  /** The raw object the run processed, as the store names it (`s3://…` or a path). */
  source: string;
  manifest?: RunManifest;
  error?: string;
}

/** Tells the world a run ended: SNS, or a local log of notices. */
export interface Notifier {
  publish(notice: RunNotice): Promise<void>;
}

/** The three zones of a lake. On AWS raw is its own bucket; processed and quarantine share the processed bucket. */
export interface Lake {
  raw: ObjectStore;
  processed: ObjectStore;
  quarantine: ObjectStore;
}
