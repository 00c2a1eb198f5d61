import type { DuckDbCatalog } from './duckdb-catalog.js';
import { quoteIdentifier, refreshAllViews } from './duckdb-catalog.js';

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
