import { ModelError, type Granularity, type Materialization, type RefreshMode } from './model.js';
import { isSnakeCase } from './names.js';

/** The header of a model file: `-- key: value` comment lines before the SELECT. */
export interface ModelHeader {
  materialized: Materialization;
  partition?: { column: string; granularity: Granularity };
  refresh: RefreshMode;
  description?: string;
}

const KEYS = ['materialized', 'partition_by', 'granularity', 'refresh', 'description'] as const;

export function parseHeader(sql: string, file: string): ModelHeader {
  const fields = new Map<string, { value: string; line: number }>();
  const lines = sql.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') continue;
    if (!line.startsWith('--')) break; // the header ends where the SQL starts
    const match = /^--\s*([a-z_]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!match || !(KEYS as readonly string[]).includes(match[1]!)) continue; // a plain comment
    if (fields.has(match[1]!)) throw new ModelError(`${file}:${index + 1}: "${match[1]}" is given twice`);
    fields.set(match[1]!, { value: match[2]!, line: index + 1 });
  }
  const field = (key: string) => fields.get(key);
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback?: T): T => {
    const found = field(key);
    if (!found) {
      if (fallback !== undefined) return fallback;
      throw new ModelError(`${file}: header lacks "-- ${key}: …" (one of ${allowed.join(', ')})`);
    }
    if (!(allowed as readonly string[]).includes(found.value)) {
      throw new ModelError(`${file}:${found.line}: ${key} "${found.value}" is not one of ${allowed.join(', ')}`);
    }
    return found.value as T;
  };
  const materialized = oneOf('materialized', ['view', 'table'] as const);
  const refresh = oneOf('refresh', ['same_key', 'this_and_later'] as const, 'same_key');
  const partitionBy = field('partition_by');
  const granularity = field('granularity');
  if (materialized === 'view' && (partitionBy || granularity)) {
    throw new ModelError(`${file}:${(partitionBy ?? granularity)!.line}: a view has no partitions (remove partition_by / granularity)`);
  }
  if (granularity && !partitionBy) throw new ModelError(`${file}:${granularity.line}: granularity needs partition_by`);
  let partition: ModelHeader['partition'];
  if (partitionBy) {
    if (!isSnakeCase(partitionBy.value)) throw new ModelError(`${file}:${partitionBy.line}: partition_by "${partitionBy.value}" is not a column name`);
    partition = { column: partitionBy.value, granularity: oneOf('granularity', ['year', 'month'] as const, 'year') };
  }
  return { materialized, partition, refresh, description: field('description')?.value };
}
