import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { partitionColumnOf, type Granularity, type ModelDefinition } from '../../models/model.js';
import { CURRENT_SUFFIX } from '../../models/names.js';
import { isPeriod, periodInterval, periodOf } from '../../models/periods.js';
import type { ModelEngine, RefreshRecord } from '../../models/ports.js';
import { LINEAGE_COLUMNS } from '../../pipeline/contract/lineage.js';
import { refreshAllViews, VARCHARS_FROM_JSON, type DuckDbCatalog } from './duckdb-catalog.js';
import { quoteIdentifier, quoteLiteral } from './sql-quote.js';

/**
 * Models on the local lake. A table model's partition is written with `COPY … TO` into a fresh directory
 * (`processed/models/<model>/partition_year=2024/<refresh id>/`), then the catalog's partition location is swapped to
 * it in one statement and the old directory removed: a query sees the old rows or the new ones. Refreshes of one model
 * are serialized in this process (a promise chain) and across processes (a lock file beside the catalog).
 */
export class DuckDbModelEngine implements ModelEngine {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly catalog: DuckDbCatalog,
    /** The processed zone's directory: models live under `models/` in it. */
    private readonly processedRoot: string,
    private readonly contracts: DatasetContract[],
  ) {}

  private location(model: string): string {
    return path.join(this.processedRoot, 'models', model);
  }

  /** Catalog views every model may read, rebuilt before a model runs: the tables, `<table>_current`, the manifests. */
  private prepare<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.catalog.withConnection(async (connection) => {
      await refreshAllViews(connection);
      await prepareModelCatalog(connection, this.contracts, this.processedRoot);
      return work(connection);
    });
  }

  createView(model: ModelDefinition): Promise<void> {
    return this.prepare(async (connection) => {
      await connection.run(`CREATE OR REPLACE VIEW ${quoteIdentifier(model.name)} AS\n${model.sql}\n`);
    });
  }

  partitions(model: ModelDefinition): Promise<string[]> {
    return this.catalog.withConnection(async (connection) => {
      const rows = await connection.runAndReadAll('SELECT spec FROM glueless_partitions WHERE table_name = $table ORDER BY spec', {
        table: model.name,
      });
      return rows.getRowsJS().map(([spec]) => String(spec).split('=')[1] ?? '').filter((p) => isPeriod(p, model.partition!.granularity));
    });
  }

  /**
   * The model's whole result is kept in a temporary table for the `materialize` that follows in the same refresh (one
   * connection for all of it, see `serialized`): a full rebuild evaluates the model once, not once for its periods and
   * again for their rows.
   */
  periodsInResult(model: ModelDefinition): Promise<string[]> {
    return this.prepare(async (connection) => {
      const column = quoteIdentifier(model.partition!.column);
      const result = resultTable(model);
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${result} AS SELECT * FROM (\n${model.sql}\n) AS model`);
      const rows = await connection.runAndReadAll(`SELECT DISTINCT CAST(${column} AS VARCHAR) FROM ${result} WHERE ${column} IS NOT NULL`);
      const periods = rows.getRowsJS().map(([date]) => periodOf(String(date), model.partition!.granularity));
      return [...new Set(periods)].sort();
    });
  }

  /**
   * With several periods, the model's SELECT runs once into a temporary table (restricted to those periods; or the one
   * `periodsInResult` just filled) and each period is copied out of it: a model over a table of many partitions reads
   * them once, not once a period. All the periods are swapped in by one transaction.
   */
  materialize(model: ModelDefinition, periods: string[] | undefined, refreshId: string): Promise<number> {
    if (periods?.length === 0) return Promise.resolve(0);
    return this.prepare(async (connection) => {
      const partitioning = model.partition && periods ? { ...model.partition, key: partitionColumnOf(model.partition.granularity) } : undefined;
      const targets = partitioning
        ? periods!.map((period) => ({ spec: `${partitioning.key}=${period}`, filter: `WHERE ${periodFilter(partitioning.column, [period], partitioning.granularity)}` }))
        : [{ spec: '', filter: '' }];
      const modelSelect = `SELECT * FROM (\n${model.sql}\n) AS model`;
      const evaluated = partitioning !== undefined && (await hasTemporaryTable(connection, resultTable(model, false)));
      const once = evaluated || targets.length > 1;
      const source = once ? resultTable(model) : `(${modelSelect})`;
      if (once && !evaluated) {
        const within = periodFilter(partitioning!.column, periods!, partitioning!.granularity);
        await connection.run(`CREATE OR REPLACE TEMP TABLE ${source} AS ${modelSelect} WHERE ${within}`);
      }
      const written: Array<{ spec: string; directory: string; rows: number }> = [];
      let swapped = false;
      try {
        const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source} AS model ${targets[0]!.filter}`);
        const columns = described.getRowsJS().map(([name, type]) => ({ name: String(name), type: String(type) }));
        for (const { spec, filter } of targets) {
          const directory = path.join(this.location(model.name), spec, refreshId);
          await mkdir(directory, { recursive: true });
          written.push({ spec, directory, rows: 0 });
          const copied = await connection.run(
            `COPY (SELECT * FROM ${source} AS model ${filter}) TO ${quoteLiteral(path.join(directory, 'part-00000.parquet'))} (FORMAT PARQUET)`,
          );
          written.at(-1)!.rows = Number(copied.rowsChanged);
        }
        const previous = await connection.runAndReadAll('SELECT spec, location FROM glueless_partitions WHERE table_name = $table', { table: model.name });
        const oldLocations = new Map(previous.getRowsJS().map(([spec, location]) => [String(spec), String(location)]));
        await this.swapIn(connection, model.name, columns, partitioning?.key, written);
        swapped = true;
        await refreshAllViews(connection);
        // Only after the swap: the old files may still be read by a query that started before it.
        for (const { spec, directory, rows } of written) {
          if (rows === 0) await rm(directory, { recursive: true, force: true });
          const old = oldLocations.get(spec);
          if (old !== undefined && old !== directory) await rm(old, { recursive: true, force: true });
        }
        return written.reduce((total, { rows }) => total + rows, 0);
      } catch (error) {
        // The refresh's own error is what matters: a cleanup that fails too must not replace it.
        if (!swapped) for (const { directory } of written) await rm(directory, { recursive: true, force: true }).catch(() => undefined);
        throw error;
      } finally {
        // Dropped with the connection anyway: a failure to drop it now is not the refresh's.
        if (once) await connection.run(`DROP TABLE IF EXISTS ${source}`).catch(() => undefined);
      }
    });
  }

  /** Records the model's table and points each written partition at its new directory (or drops it), in one transaction. */
  private async swapIn(
    connection: DuckDBConnection,
    name: string,
    columns: Array<{ name: string; type: string }>,
    partitionKey: string | undefined,
    written: Array<{ spec: string; directory: string; rows: number }>,
  ): Promise<void> {
    const definition = { name, location: this.location(name), columns, partitionKeys: partitionKey ? [{ name: partitionKey, type: 'string' }] : [] };
    await connection.run('BEGIN TRANSACTION');
    try {
      await connection.run(
        `INSERT INTO glueless_tables VALUES ($name, $location, $definition)
         ON CONFLICT (name) DO UPDATE SET location = excluded.location, definition = excluded.definition`,
        { name, location: definition.location, definition: JSON.stringify(definition) },
      );
      // Each period's partition goes to its new directory, or away when the period has no rows now: one statement
      // each way for all of them.
      await connection.run(
        `DELETE FROM glueless_partitions WHERE table_name = $table AND spec IN (SELECT unnest(${VARCHARS_FROM_JSON('$specs')}))`,
        { table: name, specs: JSON.stringify(written.map((w) => w.spec)) },
      );
      const kept = written.filter((w) => w.rows > 0);
      if (kept.length > 0) {
        await connection.run(
          `INSERT INTO glueless_partitions SELECT $table, unnest(${VARCHARS_FROM_JSON('$specs')}), unnest(${VARCHARS_FROM_JSON('$locations')})`,
          { table: name, specs: JSON.stringify(kept.map((w) => w.spec)), locations: JSON.stringify(kept.map((w) => w.directory)) },
        );
      }
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK');
      throw error;
    }
  }

  serialized<T>(model: string, work: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(model) ?? Promise.resolve()).then(async () => {
      const lockTarget = path.join(path.dirname(this.catalog.databasePath), 'locks', `model-${model}`);
      await mkdir(path.dirname(lockTarget), { recursive: true });
      const release = await lockfile.lock(lockTarget, { realpath: false, stale: 60_000, update: 10_000, retries: { retries: 600, minTimeout: 100, maxTimeout: 1000 } });
      try {
        // One open of the catalog for the whole refresh (each costs tens of ms), which also keeps what one step leaves
        // for the next in the connection (periodsInResult's result table).
        return await this.catalog.together(work);
      } finally {
        await release();
      }
    });
    this.chains.set(model, run.catch(() => undefined));
    return run;
  }

  recordRefresh(record: RefreshRecord): Promise<void> {
    return this.catalog.withConnection(async (connection) => {
      await prepareModelTable(connection);
      await connection.run(
        `INSERT INTO glueless_models VALUES ($model, $record) ON CONFLICT (name) DO UPDATE SET record = excluded.record`,
        { model: record.model, record: JSON.stringify(record) },
      );
    });
  }

  refreshRecords(): Promise<RefreshRecord[]> {
    return this.catalog.withConnection(async (connection) => {
      await prepareModelTable(connection);
      const rows = await connection.runAndReadAll('SELECT record FROM glueless_models ORDER BY name');
      return rows.getRowsJS().map(([record]) => JSON.parse(String(record)) as RefreshRecord);
    });
  }
}

/** The temporary table holding a model's evaluated result during its refresh (quoted, or its bare name). */
function resultTable(model: ModelDefinition, quoted = true): string {
  const name = `glueless_refresh_${model.name}`;
  return quoted ? quoteIdentifier(name) : name;
}

async function hasTemporaryTable(connection: DuckDBConnection, name: string): Promise<boolean> {
  const found = await connection.runAndReadAll('SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = $name', { name });
  return Number(found.getRowsJS()[0]![0]) > 0;
}

/** The rows of the given periods: one range per run of consecutive periods (`d >= from AND d < to OR …`). */
function periodFilter(column: string, periods: string[], granularity: Granularity): string {
  const ranges: Array<{ from: string; to: string }> = [];
  for (const interval of [...periods].sort().map((period) => periodInterval(period, granularity))) {
    const last = ranges.at(-1);
    if (last && last.to === interval.from) last.to = interval.to;
    else ranges.push({ ...interval });
  }
  const name = quoteIdentifier(column);
  return ranges.map(({ from, to }) => `(${name} >= DATE ${quoteLiteral(from)} AND ${name} < DATE ${quoteLiteral(to)})`).join(' OR ');
}

async function prepareModelTable(connection: DuckDBConnection): Promise<void> {
  await connection.run('CREATE TABLE IF NOT EXISTS glueless_models (name VARCHAR PRIMARY KEY, record VARCHAR NOT NULL)');
}

/**
 * `<table>_current` for every table with a primary key (the latest row per key by ingest time, ties broken by source
 * key), and `lake_manifests` / `lake_manifest_rules`, the run manifests as tables, which `lake_runs` reads.
 */
export async function prepareModelCatalog(connection: DuckDBConnection, contracts: DatasetContract[], processedRoot: string): Promise<void> {
  const tables = new Set(
    (await connection.runAndReadAll('SELECT name FROM glueless_tables')).getRowsJS().map(([name]) => String(name)),
  );
  const fingerprints = new Map(
    (await connection.runAndReadAll('SELECT table_name, fingerprint FROM glueless_views')).getRowsJS().map(([name, print]) => [String(name), String(print)]),
  );
  const views = new Set(
    (await connection.runAndReadAll('SELECT view_name FROM duckdb_views() WHERE NOT internal')).getRowsJS().map(([name]) => String(name)),
  );
  for (const contract of contracts) {
    if (contract.primaryKey.length === 0 || !tables.has(contract.name)) continue;
    const name = contract.name + CURRENT_SUFFIX;
    const key = contract.primaryKey.map(quoteIdentifier).join(', ');
    const [source, ingested] = LINEAGE_COLUMNS.map((c) => quoteIdentifier(c.name));
    const createView = `CREATE OR REPLACE VIEW ${quoteIdentifier(name)} AS
       SELECT * EXCLUDE (_current_rank) FROM (
         SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${ingested} DESC NULLS LAST, ${source} DESC) AS _current_rank
         FROM ${quoteIdentifier(contract.name)}
       ) WHERE _current_rank = 1`;
    // Made again only when it or the table's view changed: creating it binds the table's view, which lists the
    // table's files (~0.3 s at 20,000 partitions), and a model refresh prepares these views for every statement.
    const fingerprint = createHash('sha256').update(JSON.stringify([createView, fingerprints.get(contract.name) ?? null])).digest('hex');
    if (views.has(name) && fingerprints.get(name) === fingerprint) continue;
    await connection.run(createView);
    await connection.run('INSERT OR REPLACE INTO glueless_views VALUES ($name, $fingerprint)', { name, fingerprint });
  }
  await createManifestViews(connection, processedRoot);
}

async function createManifestViews(connection: DuckDBConnection, processedRoot: string): Promise<void> {
  const glob = path.join(processedRoot, 'manifests', '*', '*.json');
  const files = await connection.runAndReadAll(`SELECT count(*) FROM glob(${quoteLiteral(glob)})`);
  const empty = Number(files.getRowsJS()[0]![0]) === 0;
  const manifests = empty
    ? `(SELECT NULL::VARCHAR AS "table", NULL::VARCHAR AS source, NULL::VARCHAR AS outcome, NULL::BIGINT AS "rowsRead",
        NULL::BIGINT AS "rowsWritten", NULL::BIGINT AS "rowsQuarantined", NULL::JSON AS "quarantinedByRule",
        NULL::VARCHAR AS "startedAt", NULL::BIGINT AS "durationMs" WHERE false)`
    : `read_json(${quoteLiteral(glob)}, format = 'auto', columns = {"table": 'VARCHAR', source: 'VARCHAR', outcome: 'VARCHAR',
        "rowsRead": 'BIGINT', "rowsWritten": 'BIGINT', "rowsQuarantined": 'BIGINT', "quarantinedByRule": 'JSON',
        "startedAt": 'VARCHAR', "durationMs": 'BIGINT'})`;
  await connection.run(
    `CREATE OR REPLACE VIEW lake_manifests AS
     SELECT "table" AS table_name, source AS source_key, outcome, "rowsRead" AS rows_read, "rowsWritten" AS rows_written,
            "rowsQuarantined" AS rows_quarantined, CAST("startedAt" AS TIMESTAMP) AS started_at, "durationMs" AS duration_ms,
            CAST("quarantinedByRule" AS VARCHAR) AS quarantined_by_rule
     FROM ${manifests}`,
  );
  await connection.run(
    `CREATE OR REPLACE VIEW lake_manifest_rules AS
     SELECT m.table_name, m.source_key, m.started_at, r.key AS rule, CAST(r.value AS BIGINT) AS "rows"
     FROM lake_manifests m, json_each(m.quarantined_by_rule) r`,
  );
}
