import { loadContractDirectory } from '../adapters/local/contract-files.js';
import { openLocalLake, DEFAULT_LAKE_DIR, type LocalLake } from '../adapters/local/local-lake.js';
import type { DatasetContract } from '../pipeline/contract/contract.js';

/** Options every command shares, read once at the edge: flags first, then the environment, then defaults. */
export interface GlobalOptions {
  lake?: string;
  datasets?: string;
  models?: string;
  verbose?: boolean;
}

export function lakeDirectory(options: GlobalOptions): string {
  return options.lake || process.env.GLUELESS_LAKE || DEFAULT_LAKE_DIR;
}

export function datasetsDirectory(options: GlobalOptions): string {
  return options.datasets || process.env.GLUELESS_DATASETS || 'datasets';
}

export function modelsDirectory(options: GlobalOptions): string {
  return options.models || process.env.GLUELESS_MODELS || 'models';
}

export async function openContext(options: GlobalOptions): Promise<{ local: LocalLake; contracts: DatasetContract[] }> {
  const contracts = await loadContractDirectory(datasetsDirectory(options));
  const local = await openLocalLake(lakeDirectory(options));
  return { local, contracts };
}
