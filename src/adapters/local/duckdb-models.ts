import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { partitionColumnOf, type ModelDefinition } from '../../models/model.js';
import { CURRENT_SUFFIX } from '../../models/names.js';
import { isPeriod, periodInterval, periodOf } from '../../models/periods.js';
import type { ModelEngine, RefreshRecord } from '../../models/ports.js';
import { LINEAGE_COLUMNS } from '../../pipeline/contract/lineage.js';
import { refreshAllViews, type DuckDbCatalog } from './duckdb-catalog.js';
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

  periodsInResult(model: ModelDefinition): Promise<string[]> {
    return this.prepare(async (connection) => {
      const column = quoteIdentifier(model.partition!.column);
      const rows = await connection.runAndReadAll(
        `SELECT DISTINCT CAST(${column} AS VARCHAR) FROM (\n${model.sql}\n) AS model WHERE ${column} IS NOT NULL`,
      );
      const periods = rows.getRowsJS().map(([date]) => periodOf(String(date), model.partition!.granularity));
      return [...new Set(periods)].sort();
    });
  }

  materialize(model: ModelDefinition, period: string | undefined, refreshId: string): Promise<number> {
    return this.prepare(async (connection) => {
      const partitionKey = model.partition ? partitionColumnOf(model.partition.granularity) : undefined;
      const spec = partitionKey && period ? `${partitionKey}=${period}` : '';
      const directory = path.join(this.location(model.name), spec, refreshId);
      let filter = '';
      if (model.partition && period) {
        const { from, to } = periodInterval(period, model.partition.granularity);
        const column = quoteIdentifier(model.partition.column);
        filter = `WHERE ${column} >= DATE ${quoteLiteral(from)} AND ${column} < DATE ${quoteLiteral(to)}`;
      }
      const select = `SELECT * FROM (\n${model.sql}\n) AS model ${filter}`;
      const described = await connection.runAndReadAll(`DESCRIBE ${select}`);
      const columns = described.getRowsJS().map(([name, type]) => ({ name: String(name), type: String(type) }));
      await mkdir(directory, { recursive: true });
      const copied = await connection.run(`COPY (${select}) TO ${quoteLiteral(path.join(directory, 'part-00000.parquet'))} (FORMAT PARQUET)`);
      const rows = Number(copied.rowsChanged);

      const definition = {
        name: model.name,
        location: this.location(model.name),
        columns,
        partitionKeys: partitionKey ? [{ name: partitionKey, type: 'string' }] : [],
      };
      const previous = await connection.runAndReadAll(
        'SELECT location FROM glueless_partitions WHERE table_name = $table AND spec = $spec',
        { table: model.name, spec },
      );
      const oldLocation = previous.getRowsJS()[0]?.[0];
      await connection.run('BEGIN TRANSACTION');
      try {
        await connection.run(
          `INSERT INTO glueless_tables VALUES ($name, $location, $definition)
           ON CONFLICT (name) DO UPDATE SET location = excluded.location, definition = excluded.definition`,
          { name: model.name, location: definition.location, definition: JSON.stringify(definition) },
        );
        if (rows > 0) {
          await connection.run(
            `INSERT INTO glueless_partitions VALUES ($table, $spec, $location)
             ON CONFLICT (table_name, spec) DO UPDATE SET location = excluded.location`,
            { table: model.name, spec, location: directory },
          );
        } else {
          await connection.run('DELETE FROM glueless_partitions WHERE table_name = $table AND spec = $spec', { table: model.name, spec });
        }
        await connection.run('COMMIT');
      } catch (error) {
        await connection.run('ROLLBACK');
        await rm(directory, { recursive: true, force: true });
        throw error;
      }
      await refreshAllViews(connection);
      // Only after the swap: the old files may still be read by a query that started before it.
      if (rows === 0) await rm(directory, { recursive: true, force: true });
      if (oldLocation !== undefined && String(oldLocation) !== directory) await rm(String(oldLocation), { recursive: true, force: true });
      return rows;
    });
  }

  serialized<T>(model: string, work: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(model) ?? Promise.resolve()).then(async () => {
      const lockTarget = path.join(path.dirname(this.catalog.databasePath), 'locks', `model-${model}`);
      await mkdir(path.dirname(lockTarget), { recursive: true });
      const release = await lockfile.lock(lockTarget, { realpath: false, stale: 60_000, update: 10_000, retries: { retries: 600, minTimeout: 100, maxTimeout: 1000 } });
      try {
        return await work();
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
  for (const contract of contracts) {
    if (contract.primaryKey.length === 0 || !tables.has(contract.name)) continue;
    const key = contract.primaryKey.map(quoteIdentifier).join(', ');
    const [source, ingested] = LINEAGE_COLUMNS.map((c) => quoteIdentifier(c.name));
    await connection.run(
      `CREATE OR REPLACE VIEW ${quoteIdentifier(contract.name + CURRENT_SUFFIX)} AS
       SELECT * EXCLUDE (_current_rank) FROM (
         SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${ingested} DESC NULLS LAST, ${source} DESC) AS _current_rank
         FROM ${quoteIdentifier(contract.name)}
       ) WHERE _current_rank = 1`,
    );
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
