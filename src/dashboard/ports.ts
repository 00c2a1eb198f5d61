/** What the dashboard needs from a lake: which models exist, and rows for a query. */

export interface ResultSet {
  columns: string[];
  /** Numbers as numbers, dates and timestamps as ISO-like strings, nulls as null. */
  rows: Array<Array<string | number | boolean | null>>;
}

export interface LakeSession {
  /** Tables and views the lake holds, by name. */
  relations(): Promise<Set<string>>;
  query(sql: string): Promise<ResultSet>;
}

export interface LakeReader {
  /** One consistent look at the lake: every query of a page runs inside one session. */
  read<T>(work: (session: LakeSession) => Promise<T>): Promise<T>;
}
