import type { LocalLake } from '../adapters/local/local-lake.js';
import type { DatasetContract } from '../pipeline/contract/contract.js';

/** Options every command shares, read once at the edge: flags first, then the environment, then defaults. */
export interface GlobalOptions {
  lake?: string;
  datasets?: string;
  models?: string;
  verbose?: boolean;
  quiet?: boolean;
}

/** `.lake` unless told otherwise (the same default as DEFAULT_LAKE_DIR, kept here so `--help` loads no DuckDB). */
export function lakeDirectory(options: GlobalOptions): string {
  return options.lake || process.env.GLUELESS_LAKE || '.lake';
}

export function datasetsDirectory(options: GlobalOptions): string {
  return options.datasets || process.env.GLUELESS_DATASETS || 'datasets';
}

export function modelsDirectory(options: GlobalOptions): string {
  return options.models || process.env.GLUELESS_MODELS || 'models';
}

/** The local lake alone, for a command that reads what is in it (a query reads no contract: a broken one elsewhere must not stop it). */
export async function openLake(options: GlobalOptions): Promise<LocalLake> {
  const { openLocalLake } = await import('../adapters/local/local-lake.js');
  return openLocalLake(lakeDirectory(options));
}

/**
 * The contracts and the local lake. Imported on first use, so a command that needs neither starts without them.
 * `onNewLake`: a command that lands data (ingest, replay, extract) is told when the lake is new, to say so (a mistyped
 * `--lake` must not go unnoticed).
 */
export async function openContext(
  options: GlobalOptions,
  use: { onNewLake?: (dir: string) => void } = {},
): Promise<{ local: LocalLake; contracts: DatasetContract[] }> {
  const [{ loadContractDirectory }, { lakeState }] = await Promise.all([
    import('../adapters/local/contract-files.js'),
    import('./lake-state.js'),
  ]);
  const contracts = await loadContractDirectory(datasetsDirectory(options));
  const dir = lakeDirectory(options);
  if (use.onNewLake && (await lakeState(dir)) !== 'ready') use.onNewLake(dir);
  const local = await openLake(options);
  return { local, contracts };
}
