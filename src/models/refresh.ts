import { createHash, randomBytes } from 'node:crypto';
import { GluelessError } from '../pipeline/contract/errors.js';
import type { DatasetContract } from '../pipeline/contract/contract.js';
import type { RunManifest } from '../pipeline/contract/run-manifest.js';
import { parsePartitionPath } from '../pipeline/write/partition.js';
import type { ModelDefinition } from './model.js';
import { downstreamOf, type ModelGraph } from './graph.js';
import type { ModelEngine, RefreshMessage } from './ports.js';
import {
  EVERYTHING,
  isEmpty,
  periodInterval,
  periodsOf,
  partitionInterval,
  union,
  type Change,
  type Interval,
} from './periods.js';

/**
 * Refresh: when runs register partitions of tables, every model downstream of them (directly or through other models)
 * is refreshed for exactly the partitions affected, in dependency order. `same_key` models rewrite the periods the
 * changed dates fall in; `this_and_later` (window) models also every later period they hold, since a moving average
 * or an EMA carries a change forward.
 */

export class ModelRefreshError extends GluelessError {
  constructor(readonly model: string, cause: Error) {
    super(`model ${model}: refresh failed: ${cause.message.split('\n')[0]}`);
  }
}

export interface ModelRefresh {
  model: string;
  /** Periods written (`*` for an unpartitioned table); empty for a view. */
  partitions: string[];
  rows: number;
}

/** The dates a run's partitions hold; everything when the table is partitioned by ingest date. */
export function changeOfRun(contract: DatasetContract, manifest: Pick<RunManifest, 'partitions'>): Change {
  if (contract.partition.byIngestDate) return manifest.partitions.length > 0 ? EVERYTHING : { all: false, intervals: [] };
  const dateColumn = contract.partition.layout === 'date' ? contract.partition.column : undefined;
  const intervals: Interval[] = [];
  for (const path of manifest.partitions) {
    const interval = partitionInterval(parsePartitionPath(contract, path), dateColumn);
    if (!interval) return EVERYTHING;
    intervals.push(interval);
  }
  return { all: false, intervals };
}

/** The periods of a partitioned model to rewrite for a change upstream. */
export function periodsToRefresh(
  model: ModelDefinition,
  change: Change,
  existing: string[],
  inResult: () => Promise<string[]>,
): Promise<string[]> | string[] {
  const granularity = model.partition!.granularity;
  if (change.all) return inResult().then((periods) => [...new Set([...periods, ...existing])].sort());
  const touched = new Set(change.intervals.flatMap((interval) => periodsOf(interval, granularity)));
  if (model.refresh === 'this_and_later' && touched.size > 0) {
    const first = [...touched].sort()[0]!;
    for (const period of existing) if (period > first) touched.add(period);
  }
  return [...touched].sort();
}

export function newRefreshId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
}

export function sqlHash(model: ModelDefinition): string {
  return createHash('sha256').update(model.sql).digest('hex').slice(0, 16);
}

/**
 * Refreshes the models downstream of `changes` (table or model name → what changed), each model's refresh
 * serialized by the engine. A failing model stops the models after it and is rethrown as ModelRefreshError naming it.
 */
export async function refreshModels(engine: ModelEngine, graph: ModelGraph, changes: Map<string, Change>): Promise<ModelRefresh[]> {
  const done: ModelRefresh[] = [];
  const known = new Map(changes);
  for (const model of downstreamOf(graph, changes.keys())) {
    const input = union(graph.upstream.get(model.name)!.flatMap((name) => (known.has(name) ? [known.get(name)!] : [])));
    if (known.has(model.name)) known.set(model.name, union([known.get(model.name)!, input]));
    const change = known.get(model.name) ?? input;
    if (isEmpty(change)) continue;
    const result = await refreshOne(engine, model, change);
    done.push(result);
    known.set(model.name, outputChange(model, result, change));
  }
  return done;
}

/** Rebuilds the given models (all when none are named) from scratch, with everything downstream of them. */
export function rebuildModels(engine: ModelEngine, graph: ModelGraph, names?: string[]): Promise<ModelRefresh[]> {
  const roots = names && names.length > 0 ? names : graph.order.map((m) => m.name);
  return refreshModels(engine, graph, new Map(roots.map((name) => [name, EVERYTHING])));
}

/** The messages a change of `name` (a table or a model) sends: one for each model that reads it directly. */
export function messagesFor(graph: ModelGraph, name: string, change: Change, cause: string): RefreshMessage[] {
  if (isEmpty(change)) return [];
  return graph.order.filter((m) => graph.upstream.get(m.name)!.includes(name)).map((m) => ({ model: m.name, change, cause }));
}

/**
 * One queued refresh (the refresh function's unit of work): the model is refreshed for the message's change, and the
 * messages for the models that read it are returned, to be queued in their own groups.
 */
export async function refreshFromMessage(
  engine: ModelEngine,
  graph: ModelGraph,
  message: RefreshMessage,
): Promise<{ refreshed: ModelRefresh; next: RefreshMessage[] }> {
  const model = graph.order.find((m) => m.name === message.model);
  if (!model) throw new ModelRefreshError(message.model, new Error('no such model in this deployment'));
  const refreshed = await refreshOne(engine, model, message.change);
  return { refreshed, next: messagesFor(graph, model.name, outputChange(model, refreshed, message.change), `model ${model.name}`) };
}

async function refreshOne(engine: ModelEngine, model: ModelDefinition, change: Change): Promise<ModelRefresh> {
  const refreshId = newRefreshId();
  return engine.serialized(model.name, async () => {
    const record = { model: model.name, refreshId, sqlHash: sqlHash(model) };
    try {
      let partitions: string[] = [];
      let rows = 0;
      if (model.materialized === 'view') {
        await engine.createView(model);
      } else if (!model.partition) {
        rows = (await engine.materialize(model, undefined, refreshId)) ?? 0;
        partitions = ['*'];
      } else {
        const existing = await engine.partitions(model);
        partitions = await periodsToRefresh(model, change, existing, () => engine.periodsInResult(model));
        if (partitions.length > 0) rows = (await engine.materialize(model, partitions, refreshId)) ?? 0;
      }
      await engine.recordRefresh({ ...record, at: new Date().toISOString(), state: 'fresh', partitions, rows });
      return { model: model.name, partitions, rows };
    } catch (error) {
      await engine
        .recordRefresh({ ...record, at: new Date().toISOString(), state: 'failed', partitions: [], rows: 0, error: (error as Error).message })
        .catch(() => undefined);
      throw error instanceof ModelRefreshError ? error : new ModelRefreshError(model.name, error as Error);
    }
  });
}

/** What a refreshed model hands on downstream: the periods it rewrote, or everything. */
function outputChange(model: ModelDefinition, result: ModelRefresh, input: Change): Change {
  if (model.materialized === 'view') return input;
  if (!model.partition) return EVERYTHING;
  return { all: false, intervals: result.partitions.map((p) => periodInterval(p, model.partition!.granularity)) };
}
