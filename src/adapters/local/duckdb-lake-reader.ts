import type { DuckDBConnection } from '@duckdb/node-api';
import type { LakeReader, LakeSession, ResultSet } from '../../dashboard/ports.js';
import { refreshAllViews, type DuckDbCatalog } from './duckdb-catalog.js';

/** The dashboard's view of the local lake: its DuckDB catalog, views refreshed once per look so new runs show. */

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

export class DuckDbLakeReader implements LakeReader {
  constructor(private readonly catalog: DuckDbCatalog) {}

  read<T>(work: (session: LakeSession) => Promise<T>): Promise<T> {
    return this.catalog.withConnection(async (connection) => {
      await refreshAllViews(connection);
      return work(session(connection));
    });
  }
}

function session(connection: DuckDBConnection): LakeSession {
  return {
    async relations() {
      const result = await connection.runAndReadAll('SELECT table_name FROM information_schema.tables');
      return new Set(result.getRowsJS().map(([name]) => String(name)));
    },
    async query(sql: string): Promise<ResultSet> {
      const result = await connection.runAndReadAll(sql);
      // JSON rows carry BIGINT and DECIMAL as strings (they may not fit a double); charts want numbers.
      const numeric = result.columnTypes().map((type) => NUMERIC.test(String(type)));
      const rows = (result.getRowsJson() as Array<Array<string | number | boolean | null>>).map((row) =>
        row.map((value, i) => (numeric[i] && typeof value === 'string' ? Number(value) : value)),
      );
      return { columns: result.columnNames(), rows };
    },
  };
}
