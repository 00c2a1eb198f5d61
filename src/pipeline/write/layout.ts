import { createHash } from 'node:crypto';

/**
 * Where things go in the lake. Every name is derived from the source key alone, so processing the same object again
 * writes the same keys: it overwrites, never duplicates.
 */

/** `sales/orders/2024 Q1.csv` → `2024_q1-1a2b3c4d`: readable, and unique per source key. */
export function sourceStem(sourceKey: string): string {
  const base = sourceKey.split('/').pop() ?? sourceKey;
  const readable = base
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);
  const hash = createHash('sha256').update(sourceKey).digest('hex').slice(0, 8);
  return `${readable || 'file'}-${hash}`;
}

/** The table's root in the processed zone: its LOCATION. */
export function tablePrefix(table: string): string {
  return `tables/${table}/`;
}

export function parquetKey(table: string, partitionPath: string, sourceKey: string): string {
  return parquetKeysFor(table, sourceKey)(partitionPath);
}

/**
 * `parquetKey` of one source for any partition, its stem worked out once (a run over 20,000 partitions asks 20,000
 * times, and the stem is a SHA-256 and four regular expressions). With a range, a byte range's file of the partition,
 * for a source converted in ranges: `<stem>-r0003.parquet` (range 3, 0-based).
 */
export function parquetKeysFor(table: string, sourceKey: string, range?: number): (partitionPath: string) => string {
  const prefix = tablePrefix(table);
  const name = `${sourceStem(sourceKey)}${range === undefined ? '' : `-r${String(range).padStart(4, '0')}`}.parquet`;
  return (partitionPath) => `${prefix}${partitionPath}${name}`;
}

/** A byte range's quarantined rows, joined in file order into `quarantineKey` when the ranges are settled. */
export function rangeQuarantineKey(table: string, sourceKey: string, range: number, extension = 'csv'): string {
  return `${table}/_ranges/${sourceStem(sourceKey)}/r${String(range).padStart(4, '0')}.${extension}`;
}

/** What a byte range converted by a state machine step produced (its counts, files and keys), until it is settled. */
export function rangeResultKey(table: string, sourceKey: string, range: number): string {
  return `ranges/${table}/${sourceStem(sourceKey)}/r${String(range).padStart(4, '0')}.json`;
}

/** The per-source manifest in the processed zone: what this source produced last time. */
export function sourceManifestKey(table: string, sourceKey: string): string {
  return `manifests/${table}/${sourceStem(sourceKey)}.json`;
}

/** Rejected rows of a source, in the quarantine zone. */
export function quarantineKey(table: string, sourceKey: string, extension = 'csv'): string {
  return `${table}/${sourceStem(sourceKey)}.${extension}`;
}

/** A file rejected as a whole, kept byte for byte, with its original extension. */
export function rejectedFileKey(table: string, sourceKey: string): string {
  const extension = /\.[A-Za-z0-9]{1,8}$/.exec(sourceKey)?.[0]?.toLowerCase() ?? '';
  return `${table}/rejected/${sourceStem(sourceKey)}${extension}`;
}

/** Why a file was rejected: its run manifest, beside the kept file. */
export function rejectionReasonKey(table: string, sourceKey: string): string {
  return `${table}/rejected/${sourceStem(sourceKey)}.reason.json`;
}
