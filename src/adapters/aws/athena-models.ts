import { partitionColumnOf, type ModelDefinition } from '../../models/model.js';
import { isPeriod, periodInterval, periodOf } from '../../models/periods.js';
import type { ModelEngine, RefreshRecord } from '../../models/ports.js';
import { sqlHash } from '../../models/refresh.js';
import type { ObjectStore } from '../../pipeline/contract/ports.js';
import { CatalogError } from '../../pipeline/contract/errors.js';
import { runAthenaQuery, type AthenaQueryOptions, type AthenaQueryResult } from './athena-query.js';

/**
 * Models on Athena. A table model's partition is written by `UNLOAD (…) TO 's3://…/models/<model>/<key>=<value>/<refresh
 * id>/'` to a location nobody reads yet, then swapped in (`ADD IF NOT EXISTS PARTITION … LOCATION`, `PARTITION (…) SET
 * LOCATION`), and only then is the old location removed: a reader never sees a half-written or empty partition. Which
 * location each partition has, and each model's last refresh, is kept beside the data in
 * `models/_state/<model>.json`. Refreshes of one model are serialized by the queue (SQS FIFO, one message group per
 * model, one message at a time), so `serialized` has nothing left to do.
 */
export interface AthenaModelEngineOptions {
  query: AthenaQueryOptions;
  /** Runs a statement to completion (the catalog's runner, with its retries). */
  runStatement: (sql: string) => Promise<unknown>;
  /** The processed bucket: models live under `models/` in it. */
  processed: ObjectStore;
  /** Runs a SELECT and reads its rows; the default is Athena. */
  select?: (sql: string) => Promise<Pick<AthenaQueryResult, 'columns' | 'types' | 'rows'>>;
}

interface ModelState {
  /** Period (or `*`) → location of its current files. */
  partitions: Record<string, string>;
  /** The table's columns as created, and the SQL they came from. */
  columns?: Array<{ name: string; type: string }>;
  sqlHash?: string;
  record?: RefreshRecord;
}

const HIVE_TYPES: Record<string, string> = { varchar: 'string', integer: 'int', real: 'float', tinyint: 'tinyint' };

export class AthenaModelEngine implements ModelEngine {
  private readonly select: NonNullable<AthenaModelEngineOptions['select']>;

  constructor(private readonly options: AthenaModelEngineOptions) {
    this.select = options.select ?? ((sql) => runAthenaQuery(options.query, sql));
  }

  private get database(): string {
    return this.options.query.database;
  }

  private table(model: string): string {
    return `\`${this.database}\`.\`${model}\``;
  }

  private async state(model: string): Promise<ModelState> {
    const key = stateKey(model);
    if (!(await this.options.processed.list(key)).some((o) => o.key === key)) return { partitions: {} };
    const chunks: Uint8Array[] = [];
    for await (const chunk of await this.options.processed.read(key)) chunks.push(chunk);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ModelState;
  }

  private async saveState(model: string, state: ModelState): Promise<void> {
    await this.options.processed.write(stateKey(model), JSON.stringify(state, null, 2), 'application/json');
  }

  async createView(model: ModelDefinition): Promise<void> {
    await this.options.runStatement(`CREATE OR REPLACE VIEW "${this.database}"."${model.name}" AS\n${model.sql}\n`);
  }

  async partitions(model: ModelDefinition): Promise<string[]> {
    const state = await this.state(model.name);
    return Object.keys(state.partitions).filter((p) => isPeriod(p, model.partition!.granularity)).sort();
  }

  async periodsInResult(model: ModelDefinition): Promise<string[]> {
    const column = `"${model.partition!.column}"`;
    const result = await this.select(`SELECT DISTINCT CAST(${column} AS varchar) FROM (\n${model.sql}\n) AS model WHERE ${column} IS NOT NULL`);
    return [...new Set(result.rows.map(([date]) => periodOf(String(date), model.partition!.granularity)))].sort();
  }

  /**
   * One UNLOAD per period, each swapped in on its own (UNLOAD writes at most 100 partitions, and a location is set one
   * partition a statement).
   */
  async materialize(model: ModelDefinition, periods: string[] | undefined, refreshId: string): Promise<number | undefined> {
    for (const period of periods ?? [undefined]) await this.materializePeriod(model, period, refreshId);
    return undefined;
  }

  private async materializePeriod(model: ModelDefinition, period: string | undefined, refreshId: string): Promise<void> {
    const { processed, runStatement } = this.options;
    const state = await this.state(model.name);
    const partitionKey = model.partition ? partitionColumnOf(model.partition.granularity) : undefined;
    const spec = partitionKey && period ? `${partitionKey}=${period}/` : '';
    const prefix = `models/${model.name}/${spec}${refreshId}/`;
    const location = processed.locationOf(prefix);

    if (!state.columns || state.sqlHash !== sqlHash(model)) {
      const described = await this.select(`SELECT * FROM (\n${model.sql}\n) AS model LIMIT 0`);
      state.columns = described.columns.map((name, i) => ({ name, type: HIVE_TYPES[described.types[i]!] ?? described.types[i]! }));
      state.sqlHash = sqlHash(model);
      if (state.columns.length === 0) throw new CatalogError(`model ${model.name}: Athena described no columns`);
      await runStatement(createModelTableStatement(this.table(model.name), state.columns, partitionKey, processed.locationOf(`models/${model.name}/`)));
    }

    let filter = '';
    if (model.partition && period) {
      const { from, to } = periodInterval(period, model.partition.granularity);
      const column = `"${model.partition.column}"`;
      filter = `WHERE ${column} >= DATE '${from}' AND ${column} < DATE '${to}'`;
    }
    await runStatement(`UNLOAD (SELECT * FROM (\n${model.sql}\n) AS model ${filter})\nTO '${location}'\nWITH (format = 'PARQUET', compression = 'SNAPPY')`);

    const written = await processed.list(prefix);
    const key = period ?? '*';
    const old = state.partitions[key];
    if (written.length === 0) {
      // The SELECT yields nothing for this period any more: the partition goes.
      if (partitionKey && period) await runStatement(`ALTER TABLE ${this.table(model.name)} DROP IF EXISTS PARTITION (\`${partitionKey}\` = '${period}')`);
      delete state.partitions[key];
    } else {
      if (partitionKey && period) {
        const partition = `PARTITION (\`${partitionKey}\` = '${period}')`;
        await runStatement(`ALTER TABLE ${this.table(model.name)} ADD IF NOT EXISTS ${partition} LOCATION '${location}'`);
        await runStatement(`ALTER TABLE ${this.table(model.name)} ${partition} SET LOCATION '${location}'`);
      } else {
        await runStatement(`ALTER TABLE ${this.table(model.name)} SET LOCATION '${location}'`);
      }
      state.partitions[key] = location;
    }
    await this.saveState(model.name, state);
    // Only after the swap: a query that started before it may still be reading the old files.
    if (old && old !== location) {
      const oldPrefix = old.slice(processed.locationOf('').length);
      await processed.delete((await processed.list(oldPrefix)).map((o) => o.key));
    }
  }

  serialized<T>(_model: string, work: () => Promise<T>): Promise<T> {
    return work();
  }

  async recordRefresh(record: RefreshRecord): Promise<void> {
    const state = await this.state(record.model);
    await this.saveState(record.model, { ...state, record });
  }

  async refreshRecords(): Promise<RefreshRecord[]> {
    const keys = (await this.options.processed.list('models/_state/')).map((o) => o.key);
    const records: RefreshRecord[] = [];
    for (const key of keys) {
      const state = await this.state(key.slice('models/_state/'.length).replace(/\.json$/, ''));
      if (state.record) records.push(state.record);
    }
    return records;
  }
}

function stateKey(model: string): string {
  return `models/_state/${model}.json`;
}


export function createModelTableStatement(
  table: string,
  columns: Array<{ name: string; type: string }>,
  partitionKey: string | undefined,
  location: string,
): string {
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (`,
    columns.map((c) => `  \`${c.name}\` ${c.type}`).join(',\n'),
    ')',
    ...(partitionKey ? [`PARTITIONED BY (\`${partitionKey}\` string)`] : []),
    'STORED AS PARQUET',
    `LOCATION '${location}'`,
  ].join('\n');
}
