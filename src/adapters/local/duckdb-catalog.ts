import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { CatalogError } from '../../pipeline/contract/errors.js';
import { fileColumns, partitionKeys } from '../../pipeline/write/partition.js';
import type { Catalog, PartitionRef } from '../../pipeline/contract/ports.js';
import { typeName, type ColumnType } from '../../pipeline/contract/column-type.js';

/**
 * The local catalog: a DuckDB database file in the lake (`catalog.duckdb`) that records tables and registered
 * partitions, and holds one view per table over exactly the registered partitions' Parquet files. As in Athena, files
 * in a partition nobody registered stay invisible. Anyone can open the file with the DuckDB CLI.
 */

interface TableRecord {
  name: string;
  location: string;
  columns: Array<{ name: string; type: string }>;
  partitionKeys: Array<{ name: string; type: string }>;
}

export class DuckDbCatalog implements Catalog {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly databasePath: string) {}

  ensureTable(contract: DatasetContract, location: string): Promise<void> {
    const record: TableRecord = {
      name: contract.name,
      location,
      columns: fileColumns(contract).map((c) => ({ name: c.name, type: typeName(c.type) })),
      partitionKeys: partitionKeys(contract).map((k) => ({ name: k.name, type: typeName(k.type) })),
    };
    return this.withConnection(async (connection) => {
      const inserted = await connection.run(
        'INSERT INTO glueless_tables VALUES ($name, $location, $definition) ON CONFLICT (name) DO NOTHING',
        { name: record.name, location, definition: JSON.stringify(record) },
      );
      if (inserted.rowsChanged > 0) await refreshView(connection, contract.name);
    });
  }

  addColumns(contract: DatasetContract, columns: Array<{ name: string; type: ColumnType }>): Promise<void> {
    return this.withConnection(async (connection) => {
      const rows = await connection.runAndReadAll('SELECT definition FROM glueless_tables WHERE name = $table', { table: contract.name });
      const record = JSON.parse(String(rows.getRowsJS()[0]![0])) as TableRecord;
      for (const column of columns) {
        if (!record.columns.some((c) => c.name === column.name)) record.columns.push({ name: column.name, type: typeName(column.type) });
      }
      await connection.run('UPDATE glueless_tables SET definition = $definition WHERE name = $table', {
        table: contract.name,
        definition: JSON.stringify(record),
      });
      await refreshView(connection, contract.name);
    });
  }

  addPartitions(contract: DatasetContract, partitions: PartitionRef[]): Promise<void> {
    return this.withConnection(async (connection) => {
      let added = 0;
      for (const partition of partitions) {
        const spec = partition.values.map((v) => `${v.name}=${v.value}`).join('/');
        const inserted = await connection.run(
          'INSERT INTO glueless_partitions VALUES ($table, $spec, $location) ON CONFLICT (table_name, spec) DO NOTHING',
          { table: contract.name, spec, location: partition.location },
        );
        added += inserted.rowsChanged;
      }
      // Views are rebuilt before every query too (files land in registered partitions); here only when they grew.
      if (added > 0) await refreshView(connection, contract.name);
    });
  }

  /** Runs `work` on a connection to the catalog, one at a time (DuckDB allows one writer). */
  withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const instance = await DuckDBInstance.fromCache(this.databasePath);
      const connection = await instance.connect();
      try {
        await prepareCatalog(connection);
        return await work(connection);
      } catch (error) {
        if (error instanceof Error && !(error instanceof CatalogError) && /Error:/.test(error.message)) {
          throw new CatalogError(`local catalog ${this.databasePath}: ${error.message.split('\n')[0]}`);
        }
        throw error;
      } finally {
        connection.closeSync();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function prepareCatalog(connection: DuckDBConnection): Promise<void> {
  await connection.run("SET TimeZone = 'UTC'");
  await connection.run(
    'CREATE TABLE IF NOT EXISTS glueless_tables (name VARCHAR PRIMARY KEY, location VARCHAR NOT NULL, definition VARCHAR NOT NULL)',
  );
  await connection.run(
    'CREATE TABLE IF NOT EXISTS glueless_partitions (table_name VARCHAR NOT NULL, spec VARCHAR NOT NULL, location VARCHAR NOT NULL, PRIMARY KEY (table_name, spec))',
  );
}

/** Recreates every table's view over the files currently in its registered partitions. */
export async function refreshAllViews(connection: DuckDBConnection): Promise<void> {
  await prepareCatalog(connection);
  const tables = await connection.runAndReadAll('SELECT name FROM glueless_tables ORDER BY name');
  for (const [name] of tables.getRowsJS()) await refreshView(connection, String(name));
}

async function refreshView(connection: DuckDBConnection, table: string): Promise<void> {
  const definitionRows = await connection.runAndReadAll('SELECT definition FROM glueless_tables WHERE name = $table', { table });
  const definition = definitionRows.getRowsJS()[0]?.[0];
  if (definition === undefined) return;
  const record = JSON.parse(String(definition)) as TableRecord;
  const partitionRows = await connection.runAndReadAll(
    'SELECT location FROM glueless_partitions WHERE table_name = $table ORDER BY spec',
    { table },
  );
  const globs: string[] = [];
  for (const [location] of partitionRows.getRowsJS()) {
    const directory = String(location);
    if (await hasParquetFiles(directory)) globs.push(path.join(directory, '*.parquet'));
  }
  const all = [...record.columns, ...record.partitionKeys];
  const hiveTypes = record.partitionKeys
    .map((k) => `${quoteLiteral(k.name)}: ${k.type === 'string' ? 'VARCHAR' : k.type.toUpperCase()}`)
    .join(', ');
  const source =
    globs.length === 0
      ? `(SELECT ${all.map((c) => `NULL AS ${quoteIdentifier(c.name)}`).join(', ')} WHERE false)`
      : `read_parquet([${globs.map(quoteLiteral).join(', ')}], hive_partitioning = true, union_by_name = true${hiveTypes ? `, hive_types = {${hiveTypes}}` : ''})`;
  // A column added to the contract after these files were written is null in them, as in Athena.
  const present = new Set(
    globs.length === 0 ? all.map((c) => c.name) : (await connection.runAndReadAll(`SELECT * FROM ${source} LIMIT 0`)).columnNames(),
  );
  const select = all
    .map((c) => `CAST(${present.has(c.name) ? quoteIdentifier(c.name) : 'NULL'} AS ${c.type}) AS ${quoteIdentifier(c.name)}`)
    .join(', ');
  await connection.run(`CREATE OR REPLACE VIEW ${quoteIdentifier(table)} AS SELECT ${select} FROM ${source}`);
}

async function hasParquetFiles(directory: string): Promise<boolean> {
  try {
    return (await readdir(directory)).some((name) => name.endsWith('.parquet'));
  } catch {
    return false;
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
