import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createViewWithoutListing } from '../../../src/adapters/local/create-view-without-listing.js';
import { quoteLiteral } from '../../../src/adapters/local/sql-quote.js';

/** Views over hive-partitioned Parquet files as the local catalog writes them: every column cast to its type. */
describe('createViewWithoutListing', () => {
  let work: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-view-unlisted-'));
    instance = await DuckDBInstance.create(path.join(work, 'catalog.duckdb'));
    connection = await instance.connect();
  });
  afterAll(async () => {
    connection.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  });

  async function writeDay(table: string, day: string, rows: Array<[number, string]>): Promise<void> {
    const values = rows.map(([id, price]) => `(${id}, ${quoteLiteral(price)})`).join(', ');
    const file = path.join(work, table, `day=${day}`, `part-${rows[0]![0]}.parquet`);
    await mkdir(path.dirname(file), { recursive: true });
    await connection.run(`COPY (SELECT * FROM (VALUES ${values}) AS t(id, price)) TO ${quoteLiteral(file)} (FORMAT parquet)`);
  }

  const createSql = (view: string, table: string) =>
    `CREATE OR REPLACE VIEW ${view} AS SELECT CAST(id AS BIGINT) AS id, CAST(price AS DECIMAL(10,2)) AS price, CAST(day AS DATE) AS day
     FROM read_parquet([${quoteLiteral(path.join(work, table, '*', '*.parquet'))}], hive_partitioning = true, hive_types = {'day': DATE})`;
  const columns = ['id', 'price', 'day'];

  const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowsJS().map((row) => row.map(String));

  test('the view has the SQL, column names and types a real bind gives it, and reads the same rows', async () => {
    await writeDay('orders', '2024-03-01', [[1, '10.50'], [2, '3.25']]);
    await writeDay('orders', '2024-03-02', [[3, '7.00']]);
    await createViewWithoutListing(connection, createSql('unlisted', 'orders'), columns);
    await connection.run(createSql('bound', 'orders'));

    const definition = async (view: string) => rows(`SELECT replace(sql, 'VIEW ${view} ', 'VIEW v ') FROM duckdb_views() WHERE view_name = '${view}'`);
    expect(await definition('unlisted')).toEqual(await definition('bound'));
    expect(await rows('DESCRIBE unlisted')).toEqual(await rows('DESCRIBE bound'));
    const query = (view: string) => rows(`SELECT id, price::VARCHAR, day::VARCHAR FROM ${view} WHERE day = DATE '2024-03-01' ORDER BY id`);
    expect(await query('unlisted')).toEqual([['1', '10.50', '2024-03-01'], ['2', '3.25', '2024-03-01']]);
    expect(await query('unlisted')).toEqual(await query('bound'));
  });

  test('no file is looked at to create it: files that appear later are read, and the stand-in is gone', async () => {
    // A real bind refuses a pattern that matches nothing: the stand-in path never lists it.
    await expect(connection.run(createSql('bound_empty', 'later'))).rejects.toThrow(/No files found/);
    await createViewWithoutListing(connection, createSql('unlisted_empty', 'later'), columns);
    await writeDay('later', '2024-04-01', [[9, '1.00']]);
    expect(await rows('SELECT id, price::VARCHAR FROM unlisted_empty')).toEqual([['9', '1.00']]);

    expect(await rows("SELECT count(*) FROM duckdb_functions() WHERE schema_name = 'temp' OR function_name = 'read_parquet' AND function_type = 'table_macro'")).toEqual([['0']]);
    expect(await rows(`SELECT count(*) FROM read_parquet(${quoteLiteral(path.join(work, 'later', '*', '*.parquet'))})`)).toEqual([['1']]);
    // Outside any transaction again: the next statement commits on its own.
    await connection.run('BEGIN TRANSACTION');
    await connection.run('ROLLBACK');
  });

  test('a view its stand-in cannot create is created by a real bind, with its real error', async () => {
    // A column the stand-in does not yield: the real bind runs, and fails as it always did when files lack the column.
    await expect(createViewWithoutListing(connection, createSql('missing', 'orders'), ['id', 'day'])).resolves.toBeUndefined();
    expect(await rows('SELECT count(*) FROM missing')).toEqual([['3']]);
    await expect(
      createViewWithoutListing(connection, createSql('nothing', 'absent'), ['id']),
    ).rejects.toThrow(/No files found/);
    expect(await rows("SELECT count(*) FROM duckdb_views() WHERE view_name = 'nothing'")).toEqual([['0']]);
  });

  test('the view stays readable when the catalog is opened again', async () => {
    connection.closeSync();
    instance.closeSync();
    instance = await DuckDBInstance.create(path.join(work, 'catalog.duckdb'));
    connection = await instance.connect();
    expect(await rows('SELECT count(*), sum(price)::VARCHAR FROM unlisted')).toEqual([['3', '20.75']]);
  });
});
