import { createRequire } from 'node:module';
import type trinoModule from 'node-sql-parser/build/trino.js';
import { ModelError } from './model.js';

/**
 * Models run unchanged on Athena (Trino) and on DuckDB, so they keep to the two engines' common subset: each is parsed
 * as Trino SQL (node-sql-parser's Trino grammar) and refused if it uses a construct only DuckDB has — the Trino grammar
 * is lenient about a few of them (`::`), so those are looked for in the text outside strings and comments.
 */

/** The Trino grammar (a 250 KB module) is loaded when a model is first checked, not by every command that imports this. */
let trinoParser: InstanceType<typeof trinoModule.Parser> | undefined;
function parser(): InstanceType<typeof trinoModule.Parser> {
  return (trinoParser ??= new (createRequire(import.meta.url)('node-sql-parser/build/trino.js') as typeof trinoModule).Parser());
}
const OPTIONS = { database: 'trino' };

const DUCKDB_ONLY: Array<[RegExp, string]> = [
  [/::/, '`::` casts (write CAST(x AS type))'],
  [/\bqualify\b/i, 'QUALIFY (filter a window in an outer SELECT)'],
  [/\b(strftime|strptime)\s*\(/i, 'strftime / strptime (use date_trunc, CAST, year(), month())'],
  [/\bexclude\s*\(/i, 'SELECT * EXCLUDE (name the columns)'],
  [/\*\s*replace\s*\(/i, 'SELECT * REPLACE (name the columns)'],
  [/\bilike\b/i, 'ILIKE (use lower(x) LIKE …)'],
  [/\b(group|order)\s+by\s+all\b/i, 'GROUP BY ALL / ORDER BY ALL (name the columns)'],
  [/\b(arg_max|arg_min)\s*\(/i, 'arg_max / arg_min (use max_by / min_by)'],
  [/\b(list_\w+|list_value|struct_pack|string_agg|regexp_matches|date_part|datediff|epoch_ms|ifnull)\s*\(/i, 'a DuckDB-only function'],
  [/\b(read_parquet|read_csv\w*|read_json\w*)\s*\(/i, 'reading files directly (read tables and models by name)'],
  [/\bfrom\s*''/i, "FROM 'file' (read tables and models by name)"],
  [/\busing\s+sample\b/i, 'USING SAMPLE'],
  [/\b(pivot|unpivot)\b/i, 'PIVOT / UNPIVOT'],
  [/\*\*|\/\//, '`**` / `//` operators (use power(), floor(a / b))'],
  [/==/, '`==` (use `=`)'],
];

/** The SQL with comments removed and every string literal emptied, so patterns see only code. */
export function codeOnly(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ');
}

/** Throws ModelError naming the file and what to write instead; returns the tables and models the SELECT reads. */
export function checkPortableSql(sql: string, file: string): string[] {
  const code = codeOnly(sql);
  for (const [pattern, what] of DUCKDB_ONLY) {
    const match = pattern.exec(code);
    if (match) {
      const line = code.slice(0, match.index).split('\n').length;
      throw new ModelError(`${file}:${line}: ${what} is DuckDB-only; models must run on Athena (Trino) too`);
    }
  }
  let ast: unknown;
  let tables: string[];
  try {
    ast = parser().astify(sql, OPTIONS);
    tables = parser().tableList(sql, OPTIONS);
  } catch (error) {
    const where = (error as { location?: { start?: { line?: number } } }).location?.start?.line;
    throw new ModelError(`${file}${where ? `:${where}` : ''}: not Trino SQL: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}`);
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1 || (statements[0] as { type?: string }).type !== 'select') {
    throw new ModelError(`${file}: a model is one SELECT statement`);
  }
  const cteNames = new Set<string>();
  collectCteNames(ast, cteNames);
  const references = new Set<string>();
  for (const entry of tables) {
    const [, , name] = entry.split('::');
    if (name && !cteNames.has(name.toLowerCase())) references.add(name.toLowerCase());
  }
  return [...references].sort();
}

function collectCteNames(node: unknown, names: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectCteNames(item, names);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (Array.isArray(record.with)) {
    for (const cte of record.with as Array<{ name?: { value?: string } | string }>) {
      const name = typeof cte.name === 'string' ? cte.name : cte.name?.value;
      if (name) names.add(name.toLowerCase());
    }
  }
  for (const value of Object.values(record)) collectCteNames(value, names);
}
