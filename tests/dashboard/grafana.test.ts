/**
 * dashboards/grafana/glueless.json, for the Amazon Athena data source: every panel's and variable's query, with the
 * plugin's macros and the dashboard's variables filled in as Grafana would, parses as Trino SQL (Athena engine 3) and
 * names only gold models and their columns.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import sqlParser from 'node-sql-parser/build/trino.js';
import { parse as parseYaml } from 'yaml';
import { GOLD_COLUMNS } from '../support/gold-columns.js';

const parser = new sqlParser.Parser();
const TRINO = { database: 'trino' };

interface Query {
  where: string;
  sql: string;
}

// Grafana dashboards are untyped JSON.
type Json = Record<string, any>;

const dashboard = JSON.parse(readFileSync('dashboards/grafana/glueless.json', 'utf8')) as Json;

function queriesOf(board: Json): Query[] {
  const panels = (board.panels as Json[]).flatMap((panel) =>
    ((panel.targets ?? []) as Json[]).map((target) => ({ where: `panel ${panel.id} "${panel.title}"`, sql: String(target.rawSQL) })),
  );
  const variables = ((board.templating?.list ?? []) as Json[])
    .filter((variable) => variable.type === 'query')
    .map((variable) => ({ where: `variable $${variable.name}`, sql: String(variable.query?.rawSQL ?? variable.query) }));
  return [...panels, ...variables];
}

/** The Athena plugin's macros as it expands them (its query-editor docs), and the dashboard variables' values. */
function interpolate(sql: string): string {
  const expanded = sql
    .replace(/\$__dateFilter\((\w+)\)/g, "$1 BETWEEN date '2026-01-01' AND date '2026-06-30'")
    .replace(/\$__timeFilter\((\w+)\)/g, "$1 BETWEEN TIMESTAMP '2026-01-01 00:00:00' AND TIMESTAMP '2026-06-30 00:00:00'")
    .replace(/\$__timeFrom\(\)/g, "TIMESTAMP '2026-01-01 00:00:00'")
    .replace(/\$__timeTo\(\)/g, "TIMESTAMP '2026-06-30 00:00:00'")
    .replace(/\$\{?ticker\}?/g, 'AAPL');
  const unknown = expanded.match(/\$\{?\w+/);
  if (unknown) throw new Error(`unexpanded macro or variable ${unknown[0]} in: ${sql}`);
  return expanded;
}

/** Models and columns a query names; output aliases (`AS time`) may be referred to again, e.g. in ORDER BY. */
function references(sql: string): { tables: string[]; columns: string[] } {
  const ast = parser.astify(sql, TRINO);
  const statements = Array.isArray(ast) ? ast : [ast];
  const aliases = new Set(
    statements.flatMap((statement: Json) => ((statement.columns ?? []) as Json[]).map((c) => c.as).filter(Boolean)),
  );
  const tables = parser.tableList(sql, TRINO).map((entry) => entry.split('::')[2]!);
  const columns = parser
    .columnList(sql, TRINO)
    .map((entry) => entry.split('::')[2]!)
    .filter((column) => column !== '(.*)' && !aliases.has(column));
  return { tables, columns };
}

/** What a query names that no model has: `model` or `model.column`. */
function unknownNames(sql: string, models: Record<string, string[]>): string[] {
  const { tables, columns } = references(sql);
  const problems = tables.filter((table) => !(table in models));
  const known = new Set(tables.flatMap((table) => models[table] ?? []));
  problems.push(...columns.filter((column) => !known.has(column)).map((column) => `${tables.join('+')}.${column}`));
  return problems;
}

/** Model files of the gold layer, once they exist: then each model a dashboard reads must be one. */
function modelFiles(): string[] {
  return existsSync('models') ? readdirSync('models').filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')) : [];
}

describe('dashboards/grafana/glueless.json', () => {
  const queries = queriesOf(dashboard);

  it('is a dashboard for the Athena data source with ticker and time-range variables', () => {
    const variables = (dashboard.templating.list as Json[]).map((v) => [v.name, v.type]);
    expect(variables).toEqual([['datasource', 'datasource'], ['ticker', 'query']]);
    expect(dashboard.time).toEqual({ from: expect.any(String), to: 'now' });
    for (const panel of dashboard.panels as Json[]) {
      if (panel.type === 'text') continue;
      expect({ id: panel.id, datasource: panel.datasource }).toEqual({ id: panel.id, datasource: { type: 'grafana-athena-datasource', uid: '${datasource}' } });
      for (const target of panel.targets as Json[]) expect(target.datasource.type).toBe('grafana-athena-datasource');
    }
    const titles = (dashboard.panels as Json[]).map((p) => p.title).join(' | ');
    for (const word of ['close', 'moving averages', 'Bollinger', 'Volume', '% change', 'MACD', 'volatility']) expect(titles).toContain(word);
  });

  it('filters every ticker panel by $ticker and every panel by the time range', () => {
    const panelQueries = queries.filter((q) => q.where.startsWith('panel'));
    expect(panelQueries.length).toBe(7);
    for (const query of panelQueries) expect({ where: query.where, timed: query.sql.includes('$__dateFilter(trade_date)') }).toEqual({ where: query.where, timed: true });
    expect(panelQueries.filter((q) => q.sql.includes("ticker = '$ticker'")).length).toBe(6);
  });

  it('has queries that all parse as Trino SQL once macros and variables are filled in', () => {
    for (const query of queries) {
      expect(() => parser.astify(interpolate(query.sql), TRINO)).not.toThrow();
    }
  });

  it('names only gold models and their columns', () => {
    for (const query of queries) {
      expect({ where: query.where, unknown: unknownNames(interpolate(query.sql), GOLD_COLUMNS) }).toEqual({ where: query.where, unknown: [] });
    }
  });

  it('reads models that exist in models/ once the gold layer is there', () => {
    const files = modelFiles();
    if (files.length === 0) return; // models/*.sql not written yet: the fixed column list above is the contract
    const read = new Set(queries.flatMap((query) => references(interpolate(query.sql)).tables));
    for (const model of read) expect({ model, exists: files.includes(model) }).toEqual({ model, exists: true });
    for (const model of read) {
      const text = readFileSync(`models/${model}.sql`, 'utf8');
      const used = new Set(queries.flatMap((query) => references(interpolate(query.sql)).columns));
      for (const column of GOLD_COLUMNS[model]!.filter((c) => used.has(c))) expect({ model, column, inModel: new RegExp(`\\b${column}\\b`).test(text) }).toEqual({ model, column, inModel: true });
    }
  });

  it('catches a column or model no gold model has, and a query that does not parse', () => {
    expect(unknownNames("SELECT close, rsi_14 FROM stock_indicators WHERE ticker = 'A'", GOLD_COLUMNS)).toEqual(['stock_indicators.rsi_14']);
    expect(unknownNames('SELECT close FROM stock_daily_gold', GOLD_COLUMNS)).toEqual(['stock_daily_gold', 'stock_daily_gold.close']);
    expect(() => parser.astify(interpolate('SELECT close FROM stock_indicators WHERE'), TRINO)).toThrow();
    expect(() => interpolate('SELECT 1 WHERE $__timeGroupAlias(t)')).toThrow(/unexpanded/);
  });

  it('comes with a data source provisioning file with placeholders for the stack', () => {
    const provisioning = parseYaml(readFileSync('dashboards/grafana/datasource.yaml', 'utf8')) as Json;
    expect(provisioning.apiVersion).toBe(1);
    expect(provisioning.datasources[0]).toMatchObject({
      type: 'grafana-athena-datasource',
      jsonData: { defaultRegion: '<REGION>', database: '<DATABASE>', workgroup: '<WORKGROUP>', catalog: 'AwsDataCatalog' },
    });
  });
});
