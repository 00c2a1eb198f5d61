import { parseHeader } from './header.js';
import { isSnakeCase } from './names.js';
import { checkPortableSql, codeOnly } from './portable-sql.js';
import { ModelError, type ModelDefinition } from './model.js';

/** One model from its file name (`models/daily_revenue.sql`) and text: header read, SQL checked as portable. */
export function parseModel(file: string, text: string): ModelDefinition {
  const name = (file.split('/').pop() ?? file).replace(/\.sql$/, '');
  if (!isSnakeCase(name)) throw new ModelError(`${file}: a model's file name is its table name, in lowercase snake_case`);
  const sql = text.trim().replace(/;\s*$/, '');
  if (codeOnly(sql).includes(';')) throw new ModelError(`${file}: a model is one SELECT statement`);
  const header = parseHeader(sql, file);
  const references = checkPortableSql(sql, file);
  return { name, file, ...header, sql, references };
}
