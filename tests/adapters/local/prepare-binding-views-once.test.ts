import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareBindingViewsOnce, standInViewSql } from '../../../src/adapters/local/prepare-binding-views-once.js';
import { quoteLiteral } from '../../../src/adapters/local/sql-quote.js';

/**
 * A table's view over Parquet files, as the local catalog makes them (explicit casts), with a glueless_tables row, and
 * a view glueless did not make. Rows are read back through a stream, as `glueless query` reads them.
 */
describe('prepareBindingViewsOnce', () => {
  let work: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  let glob: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-bind-once-'));
    glob = path.join(work, 'orders', '*', '*.parquet');
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run('CREATE TABLE glueless_tables (name VARCHAR PRIMARY KEY, location VARCHAR, definition VARCHAR)');
    await connection.run("INSERT INTO glueless_tables VALUES ('orders', '', '{}')");
    await writeDay('2024-03-01', [[1, '10.50'], [2, '3.25']]);
    await connection.run(
      `CREATE VIEW orders AS SELECT CAST(id AS BIGINT) AS id, CAST(price AS DECIMAL(10,2)) AS price, CAST(day AS DATE) AS day
       FROM read_parquet(${quoteLiteral(glob)}, hive_partitioning = true)`,
    );
    await connection.run('CREATE VIEW not_ours AS SELECT 42 AS answer');
  });
  afterAll(async () => {
    connection.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  });

  async function writeDay(day: string, rows: Array<[number, string]>): Promise<void> {
    const values = rows.map(([id, price]) => `(${id}, ${quoteLiteral(price)})`).join(', ');
    const file = path.join(work, 'orders', `day=${day}`, `part-${rows[0]![0]}.parquet`);
    await mkdir(path.dirname(file), { recursive: true });
    await connection.run(`COPY (SELECT * FROM (VALUES ${values}) AS t(id, price)) TO ${quoteLiteral(file)} (FORMAT parquet)`);
  }

  async function streamed(sql: string): Promise<unknown[][]> {
    const { prepared, done } = await prepareBindingViewsOnce(connection, sql);
    let failed = true;
    try {
      const result = await prepared.stream();
      const rows: unknown[][] = [];
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) rows.push(...chunk.getRows());
      failed = false;
      return rows.map((row) => row.map((value) => (value === null || typeof value !== 'object' ? value : String(value))));
    } finally {
      prepared.destroySync();
      await done(failed);
    }
  }

  /** The same statement run the plain way (one materialised run), its values as `streamed` gives them. */
  async function plainly(sql: string): Promise<unknown[][]> {
    const rows = (await connection.runAndReadAll(sql)).getRows();
    return rows.map((row) => row.map((value) => (value === null || typeof value !== 'object' ? value : String(value))));
  }

  async function temporaryViews(): Promise<number> {
    return Number((await connection.runAndReadAll('SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal')).getRowsJS()[0]![0]);
  }

  it('answers as a plain streamed query does, and leaves no stand-in behind', async () => {
    const sql = 'SELECT id, price, day FROM orders ORDER BY id';
    const expected = (await connection.runAndReadAll(sql)).getRows().map((row) => row.map((value) => (typeof value === 'object' ? String(value) : value)));
    expect(expected).toEqual([[1n, '10.50', '2024-03-01'], [2n, '3.25', '2024-03-01']]);
    expect(await streamed(sql)).toEqual(expected);
    expect(await streamed('SELECT count(*), sum(price) FROM orders JOIN not_ours ON true')).toEqual([[2n, '13.75']]);
    // A view of the catalog's own over a table's view (as `<table>_current` is): read through the real one.
    await connection.run('CREATE VIEW orders_after_first AS SELECT * FROM orders WHERE id > 1');
    expect(await streamed('SELECT id, price FROM orders_after_first')).toEqual([[2n, '3.25']]);
    expect(await temporaryViews()).toBe(0);
  });

  it('does not bind the real view when preparing: its files need only be there when it runs', async () => {
    // A view over files that are gone: binding it fails (DuckDB finds no file), so a prepare that bound it would throw.
    const events = path.join(work, 'events');
    await mkdir(events);
    await connection.run(`COPY (SELECT 1 AS id) TO ${quoteLiteral(path.join(events, 'a.parquet'))} (FORMAT parquet)`);
    await connection.run(`CREATE VIEW events AS SELECT CAST(id AS BIGINT) AS id FROM read_parquet(${quoteLiteral(path.join(events, '*.parquet'))})`);
    await connection.run("INSERT INTO glueless_tables VALUES ('events', '', '{}')");
    await rm(path.join(events, 'a.parquet'));
    await expect(connection.prepare('SELECT count(*) FROM events')).rejects.toThrow(/No files found/);

    const { prepared, done } = await prepareBindingViewsOnce(connection, 'SELECT count(*) FROM events');
    try {
      await connection.run(`COPY (SELECT * FROM range(5) AS t(id)) TO ${quoteLiteral(path.join(events, 'b.parquet'))} (FORMAT parquet)`);
      const result = await prepared.stream();
      expect((await result.fetchChunk())!.getRows()).toEqual([[5n]]);
    } finally {
      prepared.destroySync();
      await done(false);
    }
  });

  it('a stand-in that is read fails loudly instead of answering with no rows', async () => {
    const other = await instance.connect();
    try {
      await other.run(standInViewSql('orders', ['CAST(NULL AS BIGINT) AS id']));
      await expect(other.runAndReadAll('SELECT count(*) FROM orders')).rejects.toThrow(/a stand-in view was read/);
    } finally {
      other.closeSync();
    }
  });

  it('runs the statements before the last, and prepares other statements as they are', async () => {
    expect(await streamed("CREATE TABLE seen AS SELECT 7 AS n; SELECT n, (SELECT count(*) FROM orders) FROM seen")).toEqual([[7, 2n]]);
    const explained = await streamed('EXPLAIN SELECT count(*) FROM orders');
    expect(explained.length).toBeGreaterThan(0);
    expect(await streamed('CREATE TABLE copied AS SELECT * FROM orders')).toEqual([[2n]]);
    expect(Number((await connection.runAndReadAll('SELECT count(*) FROM copied')).getRowsJS()[0]![0])).toBe(2);
    expect(await temporaryViews()).toBe(0);
  });

  it("leaves a connection's own temporary objects alone", async () => {
    expect(await streamed("CREATE TEMP VIEW orders AS SELECT 99 AS id; SELECT id FROM orders")).toEqual([[99]]);
    await connection.run('DROP VIEW temp.orders');
    expect(await streamed('SELECT count(*) FROM orders')).toEqual([[2n]]);
  });

  it('answers what names a view without reading it (pragma_table_info, pragma_show) from the real view, and survives it', async () => {
    for (const sql of [
      // Names the view as a table too: stand-ins are made, and the statement is bound again, pragma_table_info with it.
      "SELECT p.name, p.type, (SELECT count(*) FROM orders) AS n FROM pragma_table_info('orders') AS p",
      "SELECT s.*, o.id FROM pragma_show('orders') AS s, orders AS o ORDER BY o.id, s.column_name",
      "SELECT name, type FROM pragma_table_info('orders')",
      "PRAGMA table_info('orders')",
      'DESCRIBE orders',
    ]) {
      expect(await streamed(sql)).toEqual(await plainly(sql));
    }
    expect(await streamed('SELECT count(*) FROM orders')).toEqual([[2n]]);
    expect(await temporaryViews()).toBe(0);
  });

  it('an earlier USE or search_path, or the user\'s own transaction: prepared as it is', async () => {
    const other = await instance.connect();
    const saved = connection;
    connection = other;
    try {
      expect(await streamed("ATTACH ':memory:' AS scratch; USE scratch; SELECT 42 AS answer")).toEqual([[42]]);
      expect(await streamed('USE memory; SELECT count(*) FROM orders')).toEqual([[2n]]);
      expect(await streamed("SET search_path = 'scratch.main'; SELECT 7 AS n")).toEqual([[7]]);
      await other.run("SET search_path = 'memory.main'");
      expect(await streamed('BEGIN TRANSACTION; SELECT count(*) FROM orders')).toEqual([[2n]]);
      await other.run('COMMIT');
      expect(await temporaryViews()).toBe(0);
    } finally {
      connection = saved;
      other.closeSync();
    }
  });

  it('a result that fails partway computing a row is an error naming DuckDB\'s reason, not a short answer', async () => {
    const sql = "SELECT o.id, CASE WHEN r = 299999 THEN error('boom at the end') END AS e FROM orders o, range(300000) t(r)";
    await expect(streamed(sql)).rejects.toThrow(/failed partway through its result.*boom at the end/);
    // The reason is found again however the text ends.
    await expect(streamed(`${sql}; -- the end`)).rejects.toThrow(/failed partway through its result.*boom at the end/);
    expect(await streamed('SELECT count(*) FROM orders')).toEqual([[2n]]);
    expect(await temporaryViews()).toBe(0);
  });

  it('a result left early is no failure', async () => {
    const { prepared, done } = await prepareBindingViewsOnce(connection, 'SELECT o.id, r FROM orders o, range(1500000) t(r)');
    const result = await prepared.stream();
    prepared.destroySync();
    expect((await result.fetchChunk())!.rowCount).toBeGreaterThan(0);
    await expect(done(false)).resolves.toBeUndefined();
    expect(await streamed('SELECT count(*) FROM orders')).toEqual([[2n]]);
  });

  it('statements that a transaction of its own would change are prepared as they are', async () => {
    // Names no glueless view as a table (only in a comment or a string): as connection.stream runs it (a checkpoint
    // cannot run inside a transaction).
    await expect(streamed('SELECT * FROM force_checkpoint()')).resolves.toBeDefined();
    await expect(streamed('SELECT * FROM force_checkpoint() -- orders')).resolves.toBeDefined();
    await expect(streamed("SELECT * FROM force_checkpoint() WHERE 'orders' IS NOT NULL")).resolves.toBeDefined();
    // A PIVOT is two statements; its error is its own.
    await expect(streamed('PIVOT orders ON day USING sum(nosuch)')).rejects.toThrow(/nosuch/);
  });

  it("an error is the statement's own", async () => {
    await expect(prepareBindingViewsOnce(connection, 'SELECT * FROM orderz')).rejects.toThrow(/orderz/);
    await expect(prepareBindingViewsOnce(connection, 'SELECT nope FROM orders')).rejects.toThrow(/nope/);
    // One that aborts the transaction (an IO error) too, not the transaction's.
    await expect(prepareBindingViewsOnce(connection, "SELECT * FROM orders, read_parquet('/nonexistent/*.parquet')")).rejects.toThrow(/No files found/);
    expect(await temporaryViews()).toBe(0);
    // No transaction is left open: the next statement starts one of its own.
    await connection.run('BEGIN TRANSACTION');
    await connection.run('ROLLBACK');
  });
});
