import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openLocalLake, type LocalLake } from '../../src/adapters/local/local-lake.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import type { DatasetContract } from '../../src/pipeline/contract/contract.js';
import type { RunManifest } from '../../src/pipeline/contract/run-manifest.js';

/** A fresh local lake in a temp directory; `cleanup` removes it. */
export async function tempLake(): Promise<LocalLake & { cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'glueless-test-'));
  const local = await openLocalLake(path.join(dir, 'lake'));
  return { ...local, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function salesContract(): Promise<DatasetContract> {
  return parseContract(await readFile('datasets/sales_orders.yaml', 'utf8'), 'datasets/sales_orders.yaml');
}

/** A minimal contract with overrides, for focused tests. */
export function contractFrom(yaml: string): DatasetContract {
  return parseContract(yaml, 'test.yaml');
}

export async function landRaw(local: LocalLake, key: string, text: string | Uint8Array): Promise<void> {
  await local.lake.raw.write(key, text);
}

export async function readText(local: LocalLake, zone: 'raw' | 'processed' | 'quarantine', key: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await local.lake[zone].read(key)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Streams a file from disk into the raw zone under `key`, as an upload would. */
export async function landFile(local: LocalLake, key: string, file: string): Promise<void> {
  const { createReadStream } = await import('node:fs');
  const sink = await local.lake.raw.openSink(key);
  for await (const chunk of createReadStream(file)) await sink.write(chunk as Uint8Array);
  await sink.close();
}

/** The invariant every run keeps: each row read is written or quarantined, and the files hold exactly the written rows. */
export function expectNothingLost(manifest: RunManifest): void {
  expect(manifest.rowsRead).toBe(manifest.rowsWritten + manifest.rowsQuarantined);
  expect(manifest.outputs.reduce((sum, o) => sum + o.rows, 0)).toBe(manifest.rowsWritten);
}

/** Rows read back from Parquet without the lineage columns every row carries (`_source_key`, `_ingested_at`). */
export function withoutLineage<T extends Record<string, unknown>>(rows: T[]): Array<Omit<T, '_source_key' | '_ingested_at'>> {
  return rows.map(({ _source_key, _ingested_at, ...rest }) => rest);
}
