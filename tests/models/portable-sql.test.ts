import { readdirSync, readFileSync } from 'node:fs';
import { checkPortableSql } from '../../src/models/portable-sql.js';
import { parseModel } from '../../src/models/load.js';
import { ModelError } from '../../src/models/model.js';

describe('models are portable SQL', () => {
  const files = readdirSync('models').filter((f) => f.endsWith('.sql'));

  it.each(files)('models/%s parses as Trino SQL and uses nothing only DuckDB has', (file) => {
    const model = parseModel(`models/${file}`, readFileSync(`models/${file}`, 'utf8'));
    expect(model.references.length).toBeGreaterThan(0);
  });

  it.each([
    ['SELECT x::int FROM t', '`::` casts'],
    ['SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY a ORDER BY b) = 1', 'QUALIFY'],
    ["SELECT strftime(d, '%Y') FROM t", 'strftime'],
    ['SELECT * EXCLUDE (a) FROM t', 'EXCLUDE'],
    ["SELECT a FROM t WHERE a ILIKE 'x%'", 'ILIKE'],
    ['SELECT a, count(*) FROM t GROUP BY ALL', 'GROUP BY ALL'],
    ['SELECT arg_max(a, b) FROM t', 'arg_max'],
    ["SELECT * FROM read_parquet('x.parquet')", 'reading files'],
    ['SELECT 2 ** 3 FROM t', '`**`'],
    ['SELECT a FROM t WHERE a == 1', '`==`'],
  ])('refuses %s', (sql, what) => {
    expect(() => checkPortableSql(sql, 'models/x.sql')).toThrow(ModelError);
    expect(() => checkPortableSql(sql, 'models/x.sql')).toThrow(what);
  });

  it('refuses what Trino cannot parse, naming the file', () => {
    expect(() => checkPortableSql('SELECT FROM WHERE', 'models/broken.sql')).toThrow(/^models\/broken\.sql.*not Trino SQL/);
  });

  it('looks past strings and comments, and leaves CTE names out of the references', () => {
    const sql = "-- a::b in a comment\nWITH daily AS (SELECT d, 'x::y' AS s FROM t JOIN u ON t.k = u.k) SELECT * FROM daily JOIN v ON true";
    expect(checkPortableSql(sql, 'm.sql')).toEqual(['t', 'u', 'v']);
  });
});
