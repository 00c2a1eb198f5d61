import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { quoteIdentifier } from './duckdb-catalog.js';

/**
 * Prepares the last statement of `sql` (running the ones before it, as `connection.stream` does) so that DuckDB binds
 * the lake's views once when it runs, not twice.
 *
 * Why: a streamed result comes from a prepared statement, and DuckDB binds a prepared statement that reads files
 * (`read_parquet`) again when it runs, since the files may have changed. Binding the view of a table of 20,000
 * partitions lists the 20,000 directories and reads a file's schema (~0.2–0.35 s here), so every streamed query paid
 * that twice: once to prepare, once to run.
 *
 * How: while the statement is prepared, each glueless view is shadowed by a temporary view of the same columns and
 * types that reads no file; the temporary views are dropped again before the statement runs, and it is bound then
 * against the real views. Two guards keep this exact: the stand-in calls `now()`, whose value DuckDB fixes per query,
 * so DuckDB binds the statement again every time it runs; and reading a stand-in raises an error. A DuckDB that did
 * not bind again would fail loudly, never answer from a stand-in.
 *
 * Where a stand-in could change what the statement means (it is not a SELECT, the connection already has temporary
 * objects of its own, which the stand-ins could clash with, an earlier statement changed the database or search path,
 * or began or ended a transaction), or the statement cannot be prepared with them, it is prepared as it is.
 */
export async function prepareBindingViewsOnce(connection: DuckDBConnection, sql: string): Promise<BoundOnce> {
  const home = await whereNames(connection);
  const statements = await connection.extractStatements(sql);
  let transactionControl = false;
  for (let index = 0; index < statements.count - 1; index++) {
    const earlier = await statements.prepare(index);
    try {
      if (earlier.statementType === StatementType.TRANSACTION) transactionControl = true;
      await earlier.run();
    } finally {
      earlier.destroySync();
    }
  }
  const last = statements.count - 1;
  const asItIs = async (extracted = statements): Promise<BoundOnce> => ({ prepared: await extracted.prepare(last), done: async () => undefined });

  // An earlier statement that moved name resolution elsewhere (USE, SET search_path): the stand-ins would shadow
  // nothing the statement names. One that began (or ended) a transaction: the stand-ins need one of their own.
  if (transactionControl || (await whereNames(connection)) !== home) return asItIs();
  const views = await standInsFor(connection).catch(() => new Map<string, string[]>());
  if (views.size === 0) return asItIs();
  // In a transaction of its own, ended once the result has been read: a dropped stand-in's catalog entry then lives
  // until the end, for what keeps it from the prepare without binding its body (`pragma_table_info('t')` names a view
  // and reads its columns, which are the real view's; dropped outside a transaction, the entry is freed under it).
  await connection.run('BEGIN TRANSACTION');
  let prepared: DuckDBPreparedStatement | undefined;
  try {
    // One call each way (several statements in one text): a query's fixed cost stays a few milliseconds.
    await connection.run([...views].map(([view, columns]) => standInViewSql(view, columns)).join(';\n'));
    prepared = await statements.prepare(last).catch(() => undefined);
    await connection.run([...views.keys()].map((view) => `DROP VIEW IF EXISTS temp.${quoteIdentifier(view)}`).join(';\n'));
  } catch (error) {
    prepared?.destroySync();
    await connection.run('ROLLBACK');
    throw error;
  }
  if (prepared?.statementType === StatementType.SELECT) {
    return { prepared, done: (failed) => connection.run(failed ? 'ROLLBACK' : 'COMMIT').then(() => undefined) };
  }
  prepared?.destroySync();
  await connection.run('ROLLBACK');
  // Prepared as it is, so that an error (a missing table, a typo) is the statement's own. A statement can be prepared
  // once from its extraction: the last one is extracted again (the earlier ones have run).
  return asItIs(await connection.extractStatements(sql));
}

/** A prepared statement, and what ends the work begun to prepare it: call `done` once its result has been read. */
export interface BoundOnce {
  prepared: DuckDBPreparedStatement;
  done(failed: boolean): Promise<void>;
}

/** The database and search path unqualified names resolve in. */
async function whereNames(connection: DuckDBConnection): Promise<string> {
  const rows = await connection.runAndReadAll("SELECT current_database() || '|' || current_setting('search_path')");
  return String(rows.getRowsJS()[0]![0]);
}

/** A temporary view of `columns` (`CAST(NULL AS type) AS name`) that DuckDB binds anew at every run and that fails if read. */
export function standInViewSql(view: string, columns: string[]): string {
  return (
    `CREATE TEMP VIEW ${quoteIdentifier(view)} AS SELECT ${columns.join(', ')} FROM (SELECT now() AS bound_at) ` +
    `WHERE error('glueless: a stand-in view was read (DuckDB did not bind the statement again)') IS NULL`
  );
}

/** Per glueless view, its columns as `CAST(NULL AS type) AS name`; none when the connection has temporary objects. */
async function standInsFor(connection: DuckDBConnection): Promise<Map<string, string[]>> {
  const views = new Map<string, string[]>();
  const columns = await connection.runAndReadAll(
    `SELECT c.table_name, c.column_name, c.data_type
     FROM duckdb_columns() c JOIN duckdb_views() v ON v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name
     WHERE c.database_name = current_database() AND c.schema_name = 'main' AND NOT v.temporary
       AND c.table_name IN (SELECT name FROM glueless_tables)
       AND NOT EXISTS (SELECT 1 FROM duckdb_views() WHERE temporary AND NOT internal)
       AND NOT EXISTS (SELECT 1 FROM duckdb_tables() WHERE temporary)
     ORDER BY c.table_name, c.column_index`,
  );
  for (const [view, column, type] of columns.getRowsJS()) {
    const list = views.get(String(view)) ?? [];
    list.push(`CAST(NULL AS ${String(type)}) AS ${quoteIdentifier(String(column))}`);
    views.set(String(view), list);
  }
  return views;
}
