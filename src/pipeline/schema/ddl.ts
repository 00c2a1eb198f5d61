import type { DatasetContract } from '../contract/contract.js';
import { ContractError, UnsafeValueError } from '../contract/errors.js';
import { isIdentifier } from '../contract/names.js';
import { fileColumns, partitionKeys, type PartitionKey } from '../write/partition.js';
import type { PartitionRef } from '../contract/ports.js';
import { typeName, type ColumnType } from '../contract/column-type.js';

/**
 * Athena DDL for a contract's table and its partitions. Athena DDL takes no bind parameters, so every identifier,
 * partition value and location is checked against a strict shape before any statement text is built.
 */

/** Athena's limit on the length of a query string, in bytes. */
export const MAX_STATEMENT_BYTES = 262_144;

const LOCATION_PATTERN = /^(s3:\/\/[a-z0-9.\-]+\/|\/)[^'\\\x00-\x1f]*$/;

export function createTableStatement(contract: DatasetContract, location: string, database?: string): string {
  const table = qualifiedTableName(contract.name, database);
  const columns = fileColumns(contract).map((c) => `  ${quoteIdentifier(c.name)} ${typeName(c.type)}`);
  if (columns.length === 0) {
    throw new ContractError(`table ${contract.name} has no columns besides its partition key`);
  }
  const keys = partitionKeys(contract).map((k) => `  ${quoteIdentifier(k.name)} ${typeName(k.type)}`);
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (`,
    columns.join(',\n'),
    ')',
    'PARTITIONED BY (',
    keys.join(',\n'),
    ')',
    'STORED AS PARQUET',
    `LOCATION ${quoteLocation(location)}`,
    `TBLPROPERTIES (${tableProperties(contract, location)
      .map(([name, value]) => `'${name}'='${value}'`)
      .join(',\n  ')})`,
  ].join('\n');
}

/**
 * The table's properties: SNAPPY, and with `partition_by.projection` Athena partition projection — each key's range
 * and the location template, so queries find partitions without any being registered. Values are built from checked
 * dates and identifiers only.
 */
export function tableProperties(contract: DatasetContract, location: string): Array<[string, string]> {
  const properties: Array<[string, string]> = [['parquet.compression', 'SNAPPY']];
  const projection = contract.partition.projection;
  if (!projection) return properties;
  quoteLocation(location);
  const keys = partitionKeys(contract);
  const to = projection.to ?? 'NOW';
  const lastYear = /^\d{4}/.test(to) ? to.slice(0, 4) : '2099';
  properties.push(['projection.enabled', 'true']);
  for (const key of keys) {
    const name = quoteIdentifier(key.name).slice(1, -1);
    const integer = (range: string, digits?: number): Array<[string, string]> => [
      [`projection.${name}.type`, 'integer'],
      [`projection.${name}.range`, range],
      ...(digits ? [[`projection.${name}.digits`, String(digits)] as [string, string]] : []),
    ];
    if (key.type.kind === 'date') {
      properties.push(
        [`projection.${name}.type`, 'date'],
        [`projection.${name}.format`, 'yyyy-MM-dd'],
        [`projection.${name}.range`, `${projection.from},${to}`],
        [`projection.${name}.interval`, '1'],
        [`projection.${name}.interval.unit`, 'DAYS'],
      );
    } else if (key.name === 'year') properties.push(...integer(`${projection.from.slice(0, 4)},${lastYear}`));
    else if (key.name === 'month') properties.push(...integer('1,12', 2));
    else if (key.name === 'day') properties.push(...integer('1,31', 2));
    else if (key.name === 'hour') properties.push(...integer('0,23', 2));
    else throw new UnsafeValueError(`partition key ${key.name} of table ${contract.name} cannot be projected`);
  }
  const template = keys.map((k) => `${k.name}=\${${k.name}}`).join('/');
  properties.push(['storage.location.template', `${location.replace(/\/+$/, '')}/${template}/`]);
  return properties;
}

/** `ALTER TABLE … SET TBLPROPERTIES (…)`: turns projection on (or changes its range) for a table that exists. */
export function setTablePropertiesStatement(contract: DatasetContract, location: string, database?: string): string {
  const list = tableProperties(contract, location).map(([name, value]) => `'${name}'='${value}'`).join(', ');
  return `ALTER TABLE ${qualifiedTableName(contract.name, database)} SET TBLPROPERTIES (${list})`;
}

/** `ALTER TABLE … ADD COLUMNS (…)`: schema evolution by new nullable columns (old files read them as null). */
export function addColumnsStatement(contract: DatasetContract, columns: Array<{ name: string; type: ColumnType }>, database?: string): string {
  const list = columns.map((c) => `${quoteIdentifier(c.name)} ${typeName(c.type)}`).join(', ');
  return `ALTER TABLE ${qualifiedTableName(contract.name, database)} ADD COLUMNS (${list})`;
}

/**
 * `ALTER TABLE … ADD IF NOT EXISTS PARTITION (…) LOCATION '…' …`, as few statements as fit under `maxBytes` each.
 * Every partition is validated before the first statement is built, so a bad one yields no statement at all.
 */
export function addPartitionStatements(
  contract: DatasetContract,
  partitions: PartitionRef[],
  database?: string,
  maxBytes = MAX_STATEMENT_BYTES,
): string[] {
  const head = `ALTER TABLE ${qualifiedTableName(contract.name, database)} ADD IF NOT EXISTS`;
  const keys = partitionKeys(contract);
  const clauses = partitions.map((partition) => partitionClause(contract.name, keys, partition));
  const headBytes = byteLength(head);

  const statements: string[] = [];
  let current = head;
  let currentBytes = headBytes;
  for (const clause of clauses) {
    const clauseBytes = byteLength(clause);
    if (headBytes + clauseBytes > maxBytes) {
      throw new UnsafeValueError(
        `partition ${clause.trim()} of table ${contract.name} does not fit in a ${maxBytes}-byte statement`,
      );
    }
    if (currentBytes + clauseBytes > maxBytes) {
      statements.push(current);
      current = head;
      currentBytes = headBytes;
    }
    current += clause;
    currentBytes += clauseBytes;
  }
  if (current !== head) statements.push(current);
  return statements;
}

function partitionClause(table: string, keys: PartitionKey[], partition: PartitionRef): string {
  if (partition.values.length !== keys.length) {
    throw new UnsafeValueError(
      `partition of table ${table} has ${partition.values.length} values; expected ${keys.map((k) => k.name).join(', ')}`,
    );
  }
  const spec = keys.map((key, index) => {
    const { name, value } = partition.values[index]!;
    if (name !== key.name) {
      throw new UnsafeValueError(`partition of table ${table} names key "${name}" where "${key.name}" belongs`);
    }
    if (!key.pattern.test(value)) {
      throw new UnsafeValueError(
        `partition value ${JSON.stringify(value)} of key ${key.name} in table ${table} does not match ${key.pattern}`,
      );
    }
    // Athena accepts a quoted literal for a DATE key as well as for a string one.
    return `${quoteIdentifier(key.name)} = '${value}'`;
  });
  return ` PARTITION (${spec.join(', ')}) LOCATION ${quoteLocation(partition.location)}`;
}

function qualifiedTableName(table: string, database: string | undefined): string {
  return database === undefined ? quoteIdentifier(table) : `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

function quoteIdentifier(name: string): string {
  if (!isIdentifier(name)) throw new UnsafeValueError(`${JSON.stringify(name)} is not a safe identifier`);
  return `\`${name}\``;
}

function quoteLocation(location: string): string {
  if (!LOCATION_PATTERN.test(location)) {
    throw new UnsafeValueError(
      `location ${JSON.stringify(location)} is not a safe s3:// URI or absolute path (no quotes, backslashes or control characters)`,
    );
  }
  return `'${location}'`;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
