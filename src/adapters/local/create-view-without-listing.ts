import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from './sql-quote.js';

/**
 * Creates a table's view over `read_parquet` without DuckDB listing its files to do it.
 *
 * Why: `CREATE VIEW` binds its query once to learn the view's columns, and binding a hive-partitioned `read_parquet`
 * lists every file under the pattern and parses every path's `key=value` parts: ~0.3 s for a table of 20,000
 * partitions, at the first registration of a table, a third of what the partitions' files cost to write. The bind is
 * thrown away: a view keeps its SQL text, its column names and types, and DuckDB binds the text again at every query.
 *
 * How: while the view is created, a temporary table macro named `read_parquet`, yielding the source's columns and no
 * rows, stands in for DuckDB's function (temporary objects come first in DuckDB's search path); it is dropped again
 * in the same transaction, so the view's text, unchanged, binds to DuckDB's `read_parquet` from then on. The view's
 * SQL casts every column to its declared type and names it, so the stored names and types are the ones a real bind
 * gives (tests/adapters/local/create-view-without-listing.test.ts compares them). Reading the stand-in raises an
 * error: it never answers a query. Should DuckDB refuse any step, the view is created as before, with a real bind
 * (and its error, if it has one).
 *
 * Only for a view whose `read_parquet` gets the columns it selects without looking at the files: a table whose files
 * all have the contract's columns (not an evolved one, whose view reads the files' schemas first). It runs in a
 * transaction of its own: the connection must not be in one.
 */
export async function createViewWithoutListing(connection: DuckDBConnection, createView: string, sourceColumns: string[]): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await connection.run(standInSql(sourceColumns));
    await connection.run(createView);
    await connection.run('DROP MACRO TABLE temp.read_parquet');
    await connection.run('COMMIT');
  } catch {
    await connection.run('ROLLBACK').catch(() => undefined);
    await connection.run(createView);
  }
}

/** The named parameters a glueless view passes to `read_parquet` (see duckdb-catalog.ts). */
const PARAMETERS = ['hive_partitioning', 'hive_types', 'union_by_name'];

function standInSql(columns: string[]): string {
  const select = columns.map((name) => `NULL AS ${quoteIdentifier(name)}`).join(', ');
  return (
    `CREATE TEMP MACRO read_parquet(files, ${PARAMETERS.map((p) => `${p} := NULL`).join(', ')}) AS TABLE ` +
    `SELECT ${select} WHERE error('glueless: the stand-in for read_parquet was read (a view was being created)') IS NULL`
  );
}
