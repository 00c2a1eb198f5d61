import { buildGraph, type ModelGraph } from '../models/graph.js';
import type { ModelDefinition } from '../models/model.js';
import type { DatasetContract } from '../pipeline/contract/contract.js';

/** The engine-provided relations besides the datasets: the run manifests (external tables over manifests/). */
export const ATHENA_ENGINE_TABLES = ['lake_manifests', 'lake_manifest_rules'];

/** The deployed models' graph over the deployed contracts' tables. */
export function modelGraph(models: ModelDefinition[], contracts: DatasetContract[]): ModelGraph {
  return buildGraph(models, new Set([...contracts.map((c) => c.name), ...ATHENA_ENGINE_TABLES]));
}
