import path from 'node:path';
import { DuckDbModelEngine } from '../../adapters/local/duckdb-models.js';
import { loadModelDirectory } from '../../adapters/local/model-files.js';
import type { LocalLake } from '../../adapters/local/local-lake.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import type { RunManifest } from '../../pipeline/contract/run-manifest.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { buildGraph, runnableGraph, type ModelGraph } from '../../models/graph.js';
import { partitionColumnOf } from '../../models/model.js';
import { EVERYTHING, union, type Change } from '../../models/periods.js';
import { changeOfRun, rebuildModels, refreshModels, sqlHash, type ModelRefresh } from '../../models/refresh.js';
import { renderTable } from '../format.js';

/** Relations the local engine provides besides the datasets' tables: the run manifests. */
export const ENGINE_TABLES = ['lake_manifests', 'lake_manifest_rules'];

interface Context {
  local: LocalLake;
  contracts: DatasetContract[];
}

async function openModels(context: Context, modelsDirectory: string) {
  const models = await loadModelDirectory(modelsDirectory);
  const graph = buildGraph(models, new Set([...context.contracts.map((c) => c.name), ...ENGINE_TABLES]));
  const engine = new DuckDbModelEngine(context.local.catalog, path.join(context.local.root, 'processed'), context.contracts);
  // No models: nothing to ask the catalog (opening it costs an ingest tens of milliseconds for nothing).
  if (graph.order.length === 0) return { graph, runnable: graph, engine };
  const existing = await context.local.catalog.withConnection(async (connection) => {
    const rows = await connection.runAndReadAll('SELECT name FROM glueless_tables');
    return new Set([...rows.getRowsJS().map(([name]) => String(name)), ...ENGINE_TABLES]);
  });
  return { graph, runnable: runnableGraph(graph, existing), engine };
}

/** Models never built, last failed, or whose SQL changed since: rebuilt whole at the next refresh. */
async function staleModels(engine: DuckDbModelEngine, graph: ModelGraph): Promise<string[]> {
  const records = new Map((await engine.refreshRecords()).map((r) => [r.model, r]));
  return graph.order
    .filter((m) => {
      const record = records.get(m.name);
      return !record || record.state !== 'fresh' || record.sqlHash !== sqlHash(m);
    })
    .map((m) => m.name);
}

/** After `ingest` (or `extract`) registered partitions: refresh every model downstream of them, and any stale model. */
export async function refreshAfterRuns(
  context: Context,
  modelsDirectory: string,
  runs: Array<{ contract: DatasetContract; manifest: RunManifest }>,
  print: (line: string) => void,
): Promise<ModelRefresh[]> {
  const { runnable, engine } = await openModels(context, modelsDirectory);
  if (runnable.order.length === 0) return [];
  const changes = new Map<string, Change>();
  for (const { contract, manifest } of runs) {
    changes.set(contract.name, union([changes.get(contract.name) ?? { all: false, intervals: [] }, changeOfRun(contract, manifest)]));
  }
  for (const name of await staleModels(engine, runnable)) changes.set(name, EVERYTHING);
  const refreshed = await refreshModels(engine, runnable, changes);
  for (const line of describeRefreshes(refreshed)) print(line);
  return refreshed;
}

export function describeRefreshes(refreshed: ModelRefresh[]): string[] {
  return refreshed.map((r) =>
    r.partitions.length === 0
      ? `model ${r.model}: view updated`
      : r.partitions[0] === '*'
        ? `model ${r.model}: rebuilt, ${r.rows} rows`
        : `model ${r.model}: ${r.partitions.length} partition${r.partitions.length === 1 ? '' : 's'} refreshed (${r.partitions.join(', ')}), ${r.rows} rows`,
  );
}

/** `glueless models run [name] [--full]`: stale models (or, with --full, the named model / all) rebuilt, with downstream. */
export async function runModels(
  context: Context,
  modelsDirectory: string,
  name: string | undefined,
  options: { full?: boolean },
  print: (line: string) => void,
): Promise<ModelRefresh[]> {
  const { graph, runnable, engine } = await openModels(context, modelsDirectory);
  if (name && !graph.order.some((m) => m.name === name)) {
    throw new GluelessError(`unknown model "${name}" (known: ${graph.order.map((m) => m.name).join(', ') || 'none'})`);
  }
  if (name && !runnable.order.some((m) => m.name === name)) {
    throw new GluelessError(`model ${name} cannot run yet: a table it reads has not been ingested`);
  }
  const stale = await staleModels(engine, runnable);
  const roots = options.full ? (name ? [name] : runnable.order.map((m) => m.name)) : stale.filter((m) => !name || m === name);
  const refreshed = roots.length === 0 ? [] : await rebuildModels(engine, runnable, roots);
  const lines = describeRefreshes(refreshed);
  print(lines.length > 0 ? lines.join('\n') : 'every model is up to date (--full rebuilds anyway)');
  return refreshed;
}

/** `glueless models`: each model with its materialization, partitioning, what it reads, state and last refresh. */
export async function listModels(context: Context, modelsDirectory: string): Promise<string> {
  const { graph, runnable, engine } = await openModels(context, modelsDirectory);
  const records = new Map((await engine.refreshRecords()).map((r) => [r.model, r]));
  const rows = graph.order.map((m) => {
    const record = records.get(m.name);
    const state = !runnable.upstream.has(m.name)
      ? 'waiting for data'
      : !record
        ? 'never built'
        : record.state === 'failed'
          ? `failed: ${record.error ?? ''}`.slice(0, 80)
          : record.sqlHash !== sqlHash(m)
            ? 'stale (SQL changed)'
            : 'fresh';
    const partitioning = m.partition ? `${partitionColumnOf(m.partition.granularity)} (${m.partition.column}), ${m.refresh}` : '';
    return [m.name, m.materialized, partitioning, graph.upstream.get(m.name)!.join(', '), state, record?.at ?? ''];
  });
  return renderTable({ columns: ['model', 'materialized', 'partitions', 'reads', 'state', 'last refresh'], rows });
}
