import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { CatalogError } from '../../pipeline/contract/errors.js';
import { collectGarbageBeforeDuckDb } from './collect-garbage.js';
import { createViewWithoutListing } from './create-view-without-listing.js';
import { quoteIdentifier, quoteLiteral } from './sql-quote.js';
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
  /**
   * Columns were added after files had been written, so files differ in their columns and the view must read every
   * file's schema. Absent in catalogs made before it was recorded: taken as true there (slower, never wrong).
   */
  evolved?: boolean;
}

type DuckDbModule = typeof import('@duckdb/node-api');
let duckdbModule: DuckDbModule | undefined;
/**
 * DuckDB's native library (~35 MB resident once loaded) is loaded when the catalog is first opened, not when this module
 * is: an ingest converts its file before it registers anything, so the conversion's peak memory does not sit on top of it.
 */
async function loadDuckDb(): Promise<DuckDbModule> {
  // A CommonJS package: Node's own loader gives its exports both by name and as `default`; the compiled CLI, which
  // bundles its JavaScript, as `default` only.
  const loaded = await import('@duckdb/node-api');
  return (duckdbModule ??= (loaded as unknown as { default?: DuckDbModule }).default ?? loaded);
}
/**
 * A list of strings handed to DuckDB as one JSON text: binding a JS array as a LIST value converts it element by element
 * (20,000 partitions: ~0.3 s for two lists, against ~0.15 s as JSON, any character kept).
 */
export const VARCHARS_FROM_JSON = (parameter: string) => `from_json(${parameter}, '["VARCHAR"]')`;

/** A partition already registered stays as it is (ADD IF NOT EXISTS PARTITION). */
const NOT_REGISTERED = 'spec NOT IN (SELECT spec FROM glueless_partitions WHERE table_name = $table)';

/** How long a command waits for a catalog another process holds: GLUELESS_CATALOG_WAIT_SECONDS, default 120. */
const DEFAULT_WAIT_SECONDS = 120;

/** Catalog files this process has said it is waiting for: the message is given once, not at every open. */
const toldWaiting = new Set<string>();

/** Work on one catalog file, one at a time within this process, whichever DuckDbCatalog object asks. */
const queues = new Map<string, Promise<unknown>>();

export interface CatalogOpenOptions {
  /** Longest wait for a catalog another process holds, in ms (default GLUELESS_CATALOG_WAIT_SECONDS or 120 s). */
  waitMs?: number;
  /** Told once per wait that the catalog is held elsewhere (default: a line on stderr). */
  onWait?: (message: string) => void;
}

/** The connection of a `together` in progress, and the views its calls asked to refresh (once each, at its end). */
interface Session {
  connection: DuckDBConnection;
  views: Set<string>;
}

export class DuckDbCatalog implements Catalog {
  /** Seen only by the calls made inside a `together`: other work in the process queues for the file as always. */
  private readonly session = new AsyncLocalStorage<Session>();

  constructor(
    readonly databasePath: string,
    private readonly openOptions: CatalogOpenOptions = {},
  ) {}

  /** The calls `work` makes share one open of the database file (each open and close costs tens of ms). */
  together<T>(work: () => Promise<T>): Promise<T> {
    if (this.session.getStore()) return work();
    return this.withConnection(async (connection) => {
      const session: Session = { connection, views: new Set() };
      const result = await this.session.run(session, work);
      for (const table of session.views) await refreshView(connection, table);
      return result;
    });
  }

  /** Refreshes a table's view now, or at the end of the `together` this call is part of. */
  private async refresh(connection: DuckDBConnection, table: string): Promise<void> {
    const session = this.session.getStore();
    if (session) session.views.add(table);
    else await refreshView(connection, table);
  }

  ensureTable(contract: DatasetContract, location: string): Promise<void> {
    const record: TableRecord = {
      name: contract.name,
      location,
      columns: fileColumns(contract).map((c) => ({ name: c.name, type: typeName(c.type) })),
      partitionKeys: partitionKeys(contract).map((k) => ({ name: k.name, type: typeName(k.type) })),
      evolved: false,
    };
    return this.withConnection(async (connection) => {
      const inserted = await connection.run(
        'INSERT INTO glueless_tables VALUES ($name, $location, $definition) ON CONFLICT (name) DO NOTHING',
        { name: record.name, location, definition: JSON.stringify(record) },
      );
      if (inserted.rowsChanged > 0) await this.refresh(connection, contract.name);
    });
  }

  addColumns(contract: DatasetContract, columns: Array<{ name: string; type: ColumnType }>): Promise<void> {
    return this.withConnection(async (connection) => {
      const rows = await connection.runAndReadAll('SELECT definition FROM glueless_tables WHERE name = $table', { table: contract.name });
      const record = JSON.parse(String(rows.getRowsJS()[0]![0])) as TableRecord;
      for (const column of columns) {
        if (record.columns.some((c) => c.name === column.name)) continue;
        record.columns.push({ name: column.name, type: typeName(column.type) });
        record.evolved = true;
      }
      await connection.run('UPDATE glueless_tables SET definition = $definition WHERE name = $table', {
        table: contract.name,
        definition: JSON.stringify(record),
      });
      await this.refresh(connection, contract.name);
    });
  }

  addPartitions(contract: DatasetContract, partitions: PartitionRef[]): Promise<void> {
    return this.withConnection(async (connection) => {
      // One statement for the whole run, however many partitions it touched.
      const locations = new Map<string, string>();
      for (const partition of partitions) locations.set(partition.values.map((v) => `${v.name}=${v.value}`).join('/'), partition.location);
      if (locations.size === 0) return;
      const specs = JSON.stringify([...locations.keys()]);
      const prefix = commonPrefix(locations);
      if (prefix !== undefined) {
        // Every location is `<prefix><spec>/` (the usual case: partitions at their place under the table): one list.
        await connection.run(
          `INSERT INTO glueless_partitions SELECT $table, spec, $prefix || spec || '/' FROM (SELECT unnest(${VARCHARS_FROM_JSON('$specs')}) AS spec)
           WHERE ${NOT_REGISTERED}`,
          { table: contract.name, specs, prefix },
        );
      } else {
        await connection.run(
          `INSERT INTO glueless_partitions SELECT $table, spec, location
           FROM (SELECT unnest(${VARCHARS_FROM_JSON('$specs')}) AS spec, unnest(${VARCHARS_FROM_JSON('$locations')}) AS location)
           WHERE ${NOT_REGISTERED}`,
          { table: contract.name, specs, locations: JSON.stringify([...locations.values()]) },
        );
      }
      // Also when nothing was new: files may have landed in registered partitions (or all have gone).
      await this.refresh(connection, contract.name);
    });
  }

  /**
   * Runs `work` on a connection to the catalog, one at a time (DuckDB allows one process to hold the file). The file is
   * opened for this work and closed after it, so other glueless commands can use the lake in between; while another
   * process holds it, the open is retried (with a message) for a bounded time.
   */
  withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const session = this.session.getStore();
    if (session) return work(session.connection);
    const run = (queues.get(this.databasePath) ?? Promise.resolve()).then(async () => {
      const instance = await this.open();
      try {
        const connection = await instance.connect();
        try {
          await prepareCatalog(connection);
          return await work(connection);
        } finally {
          connection.closeSync();
        }
      } catch (error) {
        if (error instanceof Error && !(error instanceof CatalogError) && /Error:/.test(error.message)) {
          throw new CatalogError(`local catalog ${this.databasePath}: ${error.message.split('\n')[0]}`);
        }
        throw error;
      } finally {
        instance.closeSync();
      }
    });
    const settled = run.catch(() => undefined);
    queues.set(this.databasePath, settled);
    void settled.then(() => {
      if (queues.get(this.databasePath) === settled) queues.delete(this.databasePath);
    });
    return run;
  }

  /** Opens the catalog file, waiting (bounded) while another process holds its lock. */
  private async open(): Promise<DuckDBInstance> {
    const fromEnvironment = Number(process.env.GLUELESS_CATALOG_WAIT_SECONDS);
    const waitMs = this.openOptions.waitMs ?? (Number.isFinite(fromEnvironment) && fromEnvironment >= 0 ? fromEnvironment * 1000 : DEFAULT_WAIT_SECONDS * 1000);
    const deadline = Date.now() + waitMs;
    let pause = 20;
    collectGarbageBeforeDuckDb();
    for (;;) {
      try {
        return await (await loadDuckDb()).DuckDBInstance.create(this.databasePath);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!/Could not set lock|Conflicting lock/i.test(message)) throw error;
        if (Date.now() >= deadline) {
          throw new CatalogError(
            `local catalog ${this.databasePath} is still held by another process after ${Math.round(waitMs / 1000)} s ` +
              `(another glueless command, or a DuckDB shell, has it open); try again when it is done, or set GLUELESS_CATALOG_WAIT_SECONDS`,
          );
        }
        if (!toldWaiting.has(this.databasePath)) {
          toldWaiting.add(this.databasePath);
          (this.openOptions.onWait ?? ((text: string) => process.stderr.write(`${text}\n`)))(
            `glueless: waiting for the local catalog ${this.databasePath}: another process holds it (up to ${Math.round(waitMs / 1000)} s)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
        pause = Math.min(500, pause * 2);
      }
    }
  }
}

async function prepareCatalog(connection: DuckDBConnection): Promise<void> {
  await connection.run("SET TimeZone = 'UTC'");
  // DuckDB's cache of file blocks is for remote files; here the OS already caches the lake's, and over a table of
  // 20,000 small files it held ~200 MB and made a count(*) slower (BENCHMARKS.md, many partitions).
  await connection.run('SET enable_external_file_cache = false');
  await connection.run(
    'CREATE TABLE IF NOT EXISTS glueless_tables (name VARCHAR PRIMARY KEY, location VARCHAR NOT NULL, definition VARCHAR NOT NULL)',
  );
  // No primary key: one process holds the catalog at a time and every insert leaves out what is registered, and its
  // index was half the cost of registering 20,000 partitions (and of closing the file after). A catalog made before
  // has the key; every statement here works either way.
  await connection.run(
    'CREATE TABLE IF NOT EXISTS glueless_partitions (table_name VARCHAR NOT NULL, spec VARCHAR NOT NULL, location VARCHAR NOT NULL)',
  );
  await connection.run('CREATE TABLE IF NOT EXISTS glueless_views (table_name VARCHAR PRIMARY KEY, fingerprint VARCHAR NOT NULL)');
}

/** Recreates every table's view over the files currently in its registered partitions. */
export async function refreshAllViews(connection: DuckDBConnection): Promise<void> {
  await prepareCatalog(connection);
  const tables = await connection.runAndReadAll('SELECT name FROM glueless_tables ORDER BY name');
  for (const [name] of tables.getRowsJS()) await refreshView(connection, String(name));
}

/**
 * Recreates a table's view if what it depends on changed since it was last made. Two shapes:
 * - the usual one: one hive-partitioned read of the table's root, when every registered partition lies at its
 *   `key=value/` path under the root and no directory there that nobody registered holds Parquet files (a run that
 *   died before registering, a file put by hand): then the root holds exactly the registered partitions' files;
 * - otherwise, the registered partitions' directories one by one (each listed here first: DuckDB refuses a pattern
 *   that matches nothing), as Athena would read them.
 */
async function refreshView(connection: DuckDBConnection, table: string): Promise<void> {
  const definitionRows = await connection.runAndReadAll('SELECT definition FROM glueless_tables WHERE name = $table', { table });
  const definition = definitionRows.getRowsJS()[0]?.[0];
  if (definition === undefined) return;
  const record = JSON.parse(String(definition)) as TableRecord;
  const evolved = record.evolved ?? true;
  const root = path.resolve(record.location);
  // Compared in SQL, not row by row here: a table may have tens of thousands of partitions.
  const [registered, elsewhere] = (
    await connection.runAndReadAll(
      "SELECT count(*), count(*) FILTER (WHERE rtrim(location, '/') <> $root || '/' || spec) FROM glueless_partitions WHERE table_name = $table",
      { table, root },
    )
  ).getRowsJS()[0]!.map(Number) as [number, number];
  let strays: string[] = [];
  if (elsewhere === 0 && registered > 0) {
    const unregistered = await connection.runAndReadAll(
      `SELECT spec FROM unnest(${VARCHARS_FROM_JSON('$specs')}) AS t(spec)
       WHERE spec NOT IN (SELECT spec FROM glueless_partitions WHERE table_name = $table) ORDER BY spec`,
      { table, specs: JSON.stringify(await entriesAtDepth(root, record.partitionKeys.length)) },
    );
    for (const [spec] of unregistered.getRowsJS()) if (await hasParquetFiles(path.join(root, String(spec)))) strays.push(String(spec));
  }
  const fromRoot = elsewhere === 0 && strays.length === 0;
  let globs: string[] = [];
  // Reading from the root, one registered partition with a file will do (DuckDB refuses a pattern that matches
  // nothing): the first few are looked at, all of them only if those are empty. Otherwise every one with files.
  for (const limit of fromRoot ? [16, undefined] : [undefined]) {
    if (registered === 0 || globs.length > 0) break;
    const locations = await connection.runAndReadAll(
      `SELECT location FROM glueless_partitions WHERE table_name = $table ORDER BY spec${limit ? ` LIMIT ${limit}` : ''}`,
      { table },
    );
    for (const [location] of locations.getRowsJS()) {
      if (!(await hasParquetFiles(String(location)))) continue;
      if (fromRoot) {
        globs = [path.join(root, ...record.partitionKeys.map(() => '*'), '*.parquet')];
        break;
      }
      globs.push(path.join(String(location), '*.parquet'));
    }
  }

  // What the view is made of. The number of partitions counts only where the files' schemas are read (an evolved
  // table: a new file may lack a column): otherwise a new partition under the root changes nothing in the view, and
  // making it again would have DuckDB list the whole root once more (~0.35 s over 20,000 partitions).
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ definition: record, registered: evolved ? registered : undefined, strays, globs }))
    .digest('hex');
  const stored = await connection.runAndReadAll('SELECT fingerprint FROM glueless_views WHERE table_name = $table', { table });
  if (stored.getRowsJS()[0]?.[0] === fingerprint) return;

  const all = [...record.columns, ...record.partitionKeys];
  const hiveTypes = record.partitionKeys
    .map((k) => `${quoteLiteral(k.name)}: ${k.type === 'string' ? 'VARCHAR' : k.type.toUpperCase()}`)
    .join(', ');
  const source =
    globs.length === 0
      ? `(SELECT ${all.map((c) => `NULL AS ${quoteIdentifier(c.name)}`).join(', ')} WHERE false)`
      : `read_parquet([${globs.map(quoteLiteral).join(', ')}], hive_partitioning = true${evolved ? ', union_by_name = true' : ''}${hiveTypes ? `, hive_types = {${hiveTypes}}` : ''})`;
  // A column added to the contract after these files were written is null in them, as in Athena. Only then does the
  // view read the files' schemas to see which columns they have.
  const present = new Set(
    globs.length === 0 || !evolved ? all.map((c) => c.name) : (await connection.runAndReadAll(`SELECT * FROM ${source} LIMIT 0`)).columnNames(),
  );
  const select = all
    .map((c) => `CAST(${present.has(c.name) ? quoteIdentifier(c.name) : 'NULL'} AS ${c.type}) AS ${quoteIdentifier(c.name)}`)
    .join(', ');
  const createView = `CREATE OR REPLACE VIEW ${quoteIdentifier(table)} AS SELECT ${select} FROM ${source}`;
  // Files whose columns are the contract's: DuckDB need not list them to learn the view's (~0.3 s at 20,000 partitions).
  if (globs.length > 0 && !evolved) await createViewWithoutListing(connection, createView, all.map((c) => c.name));
  else await connection.run(createView);
  await connection.run('INSERT OR REPLACE INTO glueless_views VALUES ($table, $fingerprint)', { table, fingerprint });
}

/**
 * The prefix every location has before its spec and a closing `/`, if they share one (20,000 partitions' locations
 * are then not sent as a second list: ~20–50 ms).
 */
function commonPrefix(locations: Map<string, string>): string | undefined {
  let prefix: string | undefined;
  for (const [spec, location] of locations) {
    const cut = location.length - spec.length - 1;
    if (cut < 0 || !location.endsWith(`${spec}/`)) return undefined;
    prefix ??= location.slice(0, cut);
    if (!location.startsWith(prefix) || prefix.length !== cut) return undefined;
  }
  return prefix;
}

/**
 * `k=v/k2=v2` of every entry `depth` levels below `root` (none when it does not exist): directories, and any file
 * at that level, which holds no Parquet files (`hasParquetFiles` says so). Names only: a Dirent each for 20,000
 * partitions cost ~7 ms more, and a file met on the way down is not a directory to list (its listing fails).
 */
async function entriesAtDepth(root: string, depth: number): Promise<string[]> {
  let level = [''];
  for (let d = 0; d < depth; d++) {
    const next: string[] = [];
    for (const parent of level) {
      let names;
      try {
        names = await readdir(path.join(root, parent));
      } catch {
        continue;
      }
      for (const name of names) next.push(parent === '' ? name : `${parent}/${name}`);
    }
    level = next;
  }
  return level;
}

async function hasParquetFiles(directory: string): Promise<boolean> {
  try {
    return (await readdir(directory)).some((name) => name.endsWith('.parquet'));
  } catch {
    return false;
  }
}
