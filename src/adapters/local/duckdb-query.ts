import { JsonDuckDBValueConverter } from '@duckdb/node-api';
import type { DuckDbCatalog } from './duckdb-catalog.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { refreshAllViews } from './duckdb-catalog.js';
import { quoteIdentifier } from './sql-quote.js';
import { prepareBindingViewsOnce } from './prepare-binding-views-once.js';

/** SQL over the local lake's registered tables, the way analysts use Athena. */

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export interface TableSummary {
  table: string;
  partitions: number;
  rows: number;
}

export function runQuery(catalog: DuckDbCatalog, sql: string): Promise<QueryResult> {
  return catalog.withConnection(async (connection) => {
    await refreshAllViews(connection);
    const result = await connection.runAndReadAll(sql);
    return { columns: result.columnNames(), rows: result.getRowsJson() as unknown[][] };
  });
}

export function listTables(catalog: DuckDbCatalog): Promise<TableSummary[]> {
  return catalog.withConnection(async (connection) => {
    await refreshAllViews(connection);
    const tables = await connection.runAndReadAll(
      'SELECT t.name, count(p.spec) FROM glueless_tables t LEFT JOIN glueless_partitions p ON p.table_name = t.name GROUP BY t.name ORDER BY t.name',
    );
    const summaries: TableSummary[] = [];
    for (const [name, partitions] of tables.getRowsJS()) {
      const count = await connection.runAndReadAll(`SELECT count(*) FROM ${quoteIdentifier(String(name))}`);
      summaries.push({ table: String(name), partitions: Number(partitions), rows: Number(count.getRowsJS()[0]![0]) });
    }
    return summaries;
  });
}

/** One piece of a streamed result: its row count, and its rows as JSON values when asked for (converting costs). */
export interface ResultChunk {
  rowCount: number;
  rows(): unknown[][];
}

export interface ResultColumns {
  names: string[];
  /** Per column: a number type (shown right-aligned). */
  numeric: boolean[];
}

/**
 * Runs `sql` and hands its result on chunk by chunk as DuckDB produces it (about 2,048 rows each): memory stays bounded
 * however many rows there are. `onChunk` may return a promise (the next chunk waits for it) or `false` to stop.
 */
export function streamQuery(
  catalog: DuckDbCatalog,
  sql: string,
  onColumns: (columns: ResultColumns) => void | Promise<void>,
  onChunk: (chunk: ResultChunk) => void | boolean | Promise<void | boolean>,
): Promise<void> {
  return catalog.withConnection(async (connection) => {
    await refreshAllViews(connection);
    const { prepared, done } = await prepareBindingViewsOnce(connection, sql).catch(async (error: Error) => {
      const missing = /Table with name (\S+) does not exist/.exec(error.message);
      if (!missing) throw error;
      const tables = (await connection.runAndReadAll('SELECT name FROM glueless_tables ORDER BY name')).getRowsJS().map(([name]) => String(name));
      throw new GluelessError(`no table ${missing[1]}; tables: ${tables.length > 0 ? tables.join(', ') : 'none yet (ingest a file first)'}`);
    });
    let failed = true;
    try {
      // The result outlives its prepared statement, as `connection.stream` leaves it.
      const result = await prepared.stream().finally(() => prepared.destroySync());
      await onColumns({
        names: result.columnNames(),
        numeric: result.columnTypes().map((type) => /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|DECIMAL|VARINT)/.test(String(type))),
      });
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const current = chunk;
        const more = await onChunk({ rowCount: current.rowCount, rows: () => current.convertRows(JsonDuckDBValueConverter) as unknown[][] });
        if (more === false) break;
      }
      failed = false;
    } finally {
      await done(failed);
    }
  });
}
