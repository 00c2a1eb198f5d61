import type { DatasetContract } from '../contract/contract.js';
import { contractForKey } from '../schema/datasets.js';
import { ObjectNotFoundError } from '../contract/errors.js';
import { tablePrefix } from '../write/layout.js';
import type { RunManifest } from '../contract/run-manifest.js';
import { parsePartitionPath } from '../write/partition.js';
import type { Catalog, Lake, Notifier } from '../contract/ports.js';
import { processObject, readJson, type ProcessOptions } from './run.js';
import { processObjectInRanges, type RangeSetup } from './ranged-run.js';
import { planSchemaChange, schemaKey, tableSchemaOf, type TableSchema } from '../schema/schema-change.js';
import type { ColumnType } from '../contract/column-type.js';

/**
 * What the S3 trigger does for one raw object, and what `glueless ingest` does after landing a file: convert, make the
 * table and its new partitions visible, then tell subscribers. SUCCEEDED is published only after the partitions are
 * registered, so the data is queryable when the notice arrives. A file refused as a whole is REJECTED (kept in
 * quarantine; a retry cannot help, so nothing is thrown); a failure publishes FAILED and rethrows.
 */

export interface IngestDeps {
  lake: Lake;
  catalog: Catalog;
  notifier: Notifier;
  contracts: DatasetContract[];
  options?: ProcessOptions;
  /** Convert large plain files in byte ranges at once (worker threads): the same lake as a serial run, sooner. */
  ranges?: RangeSetup;
}

export type IngestResult =
  | { status: 'processed'; manifest: RunManifest }
  | { status: 'rejected'; manifest: RunManifest }
  | { status: 'skipped'; reason: string };

export async function ingestObject(rawKey: string, deps: IngestDeps): Promise<IngestResult> {
  const contract = contractForKey(deps.contracts, rawKey);
  if (!contract) return { status: 'skipped', reason: `no dataset contract owns "${rawKey}"` };
  const source = deps.lake.raw.locationOf(rawKey);
  try {
    // A contract change the table cannot take is refused before any data is written.
    const addedColumns = planSchemaChange(await readRegisteredSchema(deps.lake, contract.name), contract);
    const manifest = deps.ranges
      ? await processObjectInRanges(rawKey, contract, deps.lake, deps.ranges, deps.options)
      : await processObject(rawKey, contract, deps.lake, deps.options);
    if (manifest.outcome === 'rejected') {
      await deps.notifier.publish({ status: 'REJECTED', dataset: contract.name, source, manifest, error: manifest.rejectReason });
      return { status: 'rejected', manifest };
    }
    try {
      await registerPartitions(contract, manifest, deps, addedColumns);
    } catch (error) {
      // A run that reports failure leaves none of its rows visible: its files may sit in partitions another run has
      // registered. A retry or redrive writes them again.
      await deps.lake.processed.delete(manifest.outputs.map((o) => o.key)).catch(() => undefined);
      throw error;
    }
    await deps.notifier.publish({ status: 'SUCCEEDED', dataset: contract.name, source, manifest });
    return { status: 'processed', manifest };
  } catch (error) {
    if (error instanceof ObjectNotFoundError && error.key === rawKey) {
      // Never uploaded, or deleted between the event and the read: nothing to convert, and retrying cannot bring it back.
      return { status: 'skipped', reason: `${rawKey} not found (never uploaded, or deleted before it was read)` };
    }
    // The run's own error is what matters: a notice that cannot be sent must not replace it.
    await deps.notifier
      .publish({ status: 'FAILED', dataset: contract.name, source, error: (error as Error).message })
      .catch(() => undefined);
    throw error;
  }
}

/**
 * Makes a run's partitions queryable: the table exists (created from the contract), has any new columns, and every
 * partition the run wrote is registered. Registering twice changes nothing (IF NOT EXISTS).
 */
export async function registerPartitions(
  contract: DatasetContract,
  manifest: RunManifest,
  deps: Pick<IngestDeps, 'lake' | 'catalog'>,
  addedColumns: Array<{ name: string; type: ColumnType }> = [],
) {
  const { processed } = deps.lake;
  const { catalog } = deps;
  const register = async () => {
    await catalog.ensureTable(contract, processed.locationOf(tablePrefix(contract.name)));
    if (addedColumns.length > 0) await catalog.addColumns(contract, addedColumns);
    const schema = JSON.stringify(tableSchemaOf(contract), null, 2);
    await processed.write(schemaKey(contract.name), schema, 'application/json');
    const partitions = manifest.partitions.map((path) => ({
      values: parsePartitionPath(contract, path),
      location: processed.locationOf(`${tablePrefix(contract.name)}${path}`),
    }));
    if (partitions.length > 0) await catalog.addPartitions(contract, partitions);
  };
  await (catalog.together ? catalog.together(register) : register());
}

function readRegisteredSchema(lake: Lake, table: string): Promise<TableSchema | undefined> {
  return readJson<TableSchema>(lake.processed, schemaKey(table));
}
