import { StatementType, type DuckDBConnection, type DuckDBExtractedStatements, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { quoteIdentifier } from './sql-quote.js';

/**
 * Prepares `sql` for a streamed result so that DuckDB binds the lake's views once when it runs, not twice.
 *
 * Why: a streamed result comes from a prepared statement, and DuckDB binds a prepared statement that reads files
 * (`read_parquet`) again when it runs, since the files may have changed. Binding the view of a table of 20,000
 * partitions lists the 20,000 directories and reads a file's schema (~0.2–0.35 s here), so every streamed query paid
 * that twice: once to prepare, once to run.
 *
 * How: while the statement is prepared, each glueless view it names is shadowed by a temporary view of the same
 * columns and types that reads no file; the temporary views are dropped again before the statement runs, and it is
 * bound then against the real views. Two guards keep this exact: the stand-in calls `now()`, whose value DuckDB fixes
 * per query, so DuckDB binds the statement again every time it runs; and reading a stand-in raises an error. A DuckDB
 * that did not bind again would fail loudly, never answer from a stand-in. All of it happens in a transaction of its
 * own, ended by `done` once the result has been read: a dropped stand-in's catalog entry lives until then, should
 * anything keep it from the prepare without binding its body (`pragma_table_info('t')` alone does: dropped outside a
 * transaction, the entry was freed under it, a segfault; such a statement names no table and gets no stand-ins now).
 * The transaction also tells a result that failed partway from one that ended: DuckDB hands both on as an empty last
 * chunk, and aborts the transaction of the first (for an error computing a row: a cast, `error()`, a file; not for the
 * rare parser or binder error raised by a function while the rows stream).
 *
 * Prepared as it is, as `connection.stream` would: a text of several statements (an earlier one may change what names
 * mean; a PIVOT is two statements already), one that names no glueless view as a table (DuckDB's parse of it says),
 * a connection with temporary objects of its own (which the stand-ins could clash with), a statement that is not a
 * SELECT, or one that fails to prepare (its error is then its own).
 */
export async function prepareBindingViewsOnce(connection: DuckDBConnection, sql: string): Promise<BoundOnce> {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) return asConnectionStreamWould(statements);
  const tables = await tablesNamed(connection, sql).catch(() => undefined);
  const views = tables ? await standInsFor(connection, tables).catch(() => new Map<string, string[]>()) : new Map<string, string[]>();
  if (views.size === 0) return asConnectionStreamWould(statements);

  await connection.run('BEGIN TRANSACTION');
  let prepared: DuckDBPreparedStatement | undefined;
  try {
    // One call each way (several statements in one text): a query's fixed cost stays a few milliseconds.
    await connection.run([...views].map(([view, columns]) => standInViewSql(view, columns)).join(';\n'));
    prepared = await statements.prepare(0).catch(() => undefined);
    if (prepared) await connection.run([...views.keys()].map((view) => `DROP VIEW IF EXISTS temp.${quoteIdentifier(view)}`).join(';\n'));
  } catch (error) {
    prepared?.destroySync();
    await connection.run('ROLLBACK');
    throw error;
  }
  if (prepared?.statementType === StatementType.SELECT) return { prepared, done: (failed) => endTransaction(connection, sql, failed) };
  prepared?.destroySync();
  // Undoes the stand-ins too where the prepare failed before they were dropped (a failure may abort the transaction).
  await connection.run('ROLLBACK');
  // A statement can be prepared once from its extraction: extracted again, prepared as it is.
  return asConnectionStreamWould(await connection.extractStatements(sql));
}

/** A prepared statement, and what ends the work begun to prepare it: call `done` once its result has been read. */
export interface BoundOnce {
  prepared: DuckDBPreparedStatement;
  /** Throws if the result failed partway (what was read of it is incomplete). */
  done(failed: boolean): Promise<void>;
}

const noTransaction = async () => undefined;

/** Runs every statement but the last and prepares that, as `connection.stream` does. */
async function asConnectionStreamWould(statements: DuckDBExtractedStatements): Promise<BoundOnce> {
  for (let index = 0; index < statements.count - 1; index++) {
    const earlier = await statements.prepare(index);
    try {
      await earlier.run();
    } finally {
      earlier.destroySync();
    }
  }
  return { prepared: await statements.prepare(statements.count - 1), done: noTransaction };
}

/** Commits once the result has been read whole or left early; a result that failed partway aborted the transaction. */
async function endTransaction(connection: DuckDBConnection, sql: string, failed: boolean): Promise<void> {
  if (failed) {
    await connection.run('ROLLBACK');
    return;
  }
  try {
    await connection.run('SELECT 1');
  } catch {
    await connection.run('ROLLBACK');
    throw new GluelessError(`the query failed partway through its result, so what it wrote is incomplete: ${await reasonOfFailure(connection, sql)}`);
  }
  await connection.run('COMMIT');
}

/**
 * DuckDB's reason, from the statement run again as a count of its rows (a streamed result that fails does not say
 * why); each row counted as a whole, so that no column goes unevaluated.
 */
async function reasonOfFailure(connection: DuckDBConnection, sql: string): Promise<string> {
  try {
    // The statement as DuckDB writes it back: no `;` or comment after it to break the subquery.
    const normalised = await connection.runAndReadAll('SELECT json_deserialize_sql(json_serialize_sql($sql::VARCHAR))', { sql });
    const statement = String(normalised.getRowsJS()[0]![0]);
    await connection.run(`SELECT count(__glueless_recounted_row) FROM (\n${statement}\n) AS __glueless_recounted_row`);
    return 'DuckDB gave no reason, and the query ran through when counted again';
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  }
}

/** A temporary view of `columns` (`CAST(NULL AS type) AS name`) that DuckDB binds anew at every run and that fails if read. */
export function standInViewSql(view: string, columns: string[]): string {
  return (
    `CREATE TEMP VIEW ${quoteIdentifier(view)} AS SELECT ${columns.join(', ')} FROM (SELECT now() AS bound_at) ` +
    `WHERE error('glueless: a stand-in view was read (DuckDB did not bind the statement again)') IS NULL`
  );
}

/**
 * The tables and views a SELECT names, lower-cased, from DuckDB's own parse of it (a name in a string or a comment is
 * none); undefined for a statement DuckDB does not serialise (not a SELECT).
 */
async function tablesNamed(connection: DuckDBConnection, sql: string): Promise<Set<string> | undefined> {
  const serialised = await connection.runAndReadAll('SELECT json_serialize_sql($sql::VARCHAR)', { sql });
  const tree = JSON.parse(String(serialised.getRowsJS()[0]![0])) as { error?: boolean };
  if (tree.error) return undefined;
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'table_name' && typeof value === 'string' && value !== '') names.add(value.toLowerCase());
        else visit(value);
      }
    }
  };
  visit(tree);
  return names;
}

/**
 * Per glueless view among `tables` (or inside one of their names: a view of the catalog's own over it, such as
 * `<table>_current`, contains it), its columns as `CAST(NULL AS type) AS name`; none when the connection has
 * temporary objects.
 */
async function standInsFor(connection: DuckDBConnection, tables: Set<string>): Promise<Map<string, string[]>> {
  const views = new Map<string, string[]>();
  if (tables.size === 0) return views;
  const columns = await connection.runAndReadAll(
    `SELECT c.table_name, c.column_name, c.data_type
     FROM duckdb_columns() c JOIN duckdb_views() v ON v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name
     WHERE c.database_name = current_database() AND c.schema_name = 'main' AND NOT v.temporary
       AND c.table_name IN (SELECT name FROM glueless_tables)
       AND NOT EXISTS (SELECT 1 FROM duckdb_views() WHERE temporary AND NOT internal)
       AND NOT EXISTS (SELECT 1 FROM duckdb_tables() WHERE temporary)
     ORDER BY c.table_name, c.column_index`,
  );
  const named = [...tables];
  for (const [view, column, type] of columns.getRowsJS()) {
    const name = String(view);
    if (!named.some((table) => table.includes(name.toLowerCase()))) continue;
    const list = views.get(name) ?? [];
    list.push(`CAST(NULL AS ${String(type)}) AS ${quoteIdentifier(String(column))}`);
    views.set(name, list);
  }
  return views;
}
