import { CURRENT_SUFFIX } from './names.js';
import { ModelError, type ModelDefinition } from './model.js';

/**
 * The dependency graph, from the SQL's own references: a model depends on the tables (or their `<table>_current`
 * views) and the models its SELECT names. Refresh order is a topological order of it.
 */
export interface ModelGraph {
  /** Models in refresh order: every model after everything it reads. */
  order: ModelDefinition[];
  /** Model → the tables and models it reads (`<table>_current` resolved to the table). */
  upstream: Map<string, string[]>;
}

/** `tables`: the lake's table names (the datasets') plus any the engine provides (the manifests tables). */
export function buildGraph(models: ModelDefinition[], tables: Set<string>): ModelGraph {
  const byName = new Map<string, ModelDefinition>();
  for (const model of models) {
    if (byName.has(model.name)) throw new ModelError(`${model.file}: model "${model.name}" is defined twice`);
    if (tables.has(model.name)) throw new ModelError(`${model.file}: model "${model.name}" has the name of a table`);
    byName.set(model.name, model);
  }
  const upstream = new Map<string, string[]>();
  for (const model of models) {
    upstream.set(
      model.name,
      // A name that is no model is a table (`<table>_current` its table), known or not yet: a model over a dataset
      // not yet in the lake waits for it (runnableGraph) instead of failing the others.
      model.references.map((reference) => {
        if (byName.has(reference) || tables.has(reference)) return reference;
        return reference.endsWith(CURRENT_SUFFIX) ? reference.slice(0, -CURRENT_SUFFIX.length) : reference;
      }),
    );
  }
  const order: ModelDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: ModelDefinition, path: string[]) => {
    if (state.get(model.name) === 'done') return;
    if (state.get(model.name) === 'visiting') {
      throw new ModelError(`${model.file}: models read each other in a circle: ${[...path, model.name].join(' → ')}`);
    }
    state.set(model.name, 'visiting');
    for (const name of upstream.get(model.name)!) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency, [...path, model.name]);
    }
    state.set(model.name, 'done');
    order.push(model);
  };
  for (const model of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(model, []);
  return { order, upstream };
}

/** The named models and everything downstream of them, in refresh order. */
export function downstreamOf(graph: ModelGraph, names: Iterable<string>): ModelDefinition[] {
  const reached = new Set(names);
  return graph.order.filter((model) => {
    if (reached.has(model.name)) return true;
    if (graph.upstream.get(model.name)!.some((name) => reached.has(name))) {
      reached.add(model.name);
      return true;
    }
    return false;
  });
}

/**
 * The graph cut down to the models that can run now: those whose tables (directly or through other models) all
 * exist. A model over a dataset nobody has ingested yet waits instead of failing every other refresh.
 */
export function runnableGraph(graph: ModelGraph, existingTables: Set<string>): ModelGraph {
  const ready = new Set<string>();
  const order = graph.order.filter((model) => {
    const ok = graph.upstream.get(model.name)!.every((name) => existingTables.has(name) || ready.has(name));
    if (ok) ready.add(model.name);
    return ok;
  });
  return { order, upstream: new Map([...graph.upstream].filter(([name]) => ready.has(name))) };
}
