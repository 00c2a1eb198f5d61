import type { DatasetContract } from '../contract/contract.js';
import { ContractError } from '../contract/errors.js';
import { fileColumns, partitionKeys } from '../write/partition.js';
import type { FileColumn } from '../write/parquet.js';
import { typeName } from '../contract/column-type.js';

/**
 * Schema evolution. The processed zone keeps the schema each table was last registered with; when a contract changes,
 * only what Athena can read across old and new partitions is applied: new nullable columns (ALTER TABLE … ADD COLUMNS;
 * old files read them as null). Everything else is refused before any data is written, with the reason.
 */

export interface TableSchema {
  table: string;
  columns: Array<{ name: string; type: string; required: boolean }>;
  partitionKeys: Array<{ name: string; type: string }>;
}

export function tableSchemaOf(contract: DatasetContract): TableSchema {
  return {
    table: contract.name,
    columns: fileColumns(contract).map((c) => ({ name: c.name, type: typeName(c.type), required: c.required })),
    partitionKeys: partitionKeys(contract).map((k) => ({ name: k.name, type: typeName(k.type) })),
  };
}

/** Where the registered schema of a table is kept in the processed zone. */
export function schemaKey(table: string): string {
  return `schemas/${table}.json`;
}

/** The columns to add to go from `previous` to the contract's schema; throws ContractError for any other change. */
export function planSchemaChange(previous: TableSchema | undefined, contract: DatasetContract): FileColumn[] {
  if (!previous) return [];
  const next = tableSchemaOf(contract);
  const refuse = (what: string, why: string): never => {
    throw new ContractError(`contract of ${contract.name} ${what}, which the registered table cannot take: ${why}`);
  };
  if (JSON.stringify(previous.partitionKeys) !== JSON.stringify(next.partitionKeys)) {
    refuse(
      `changes the partition keys from (${describe(previous.partitionKeys)}) to (${describe(next.partitionKeys)})`,
      'existing partitions would no longer match; create a new table (a new name) for the new layout',
    );
  }
  for (const old of previous.columns) {
    const now = next.columns.find((c) => c.name === old.name);
    if (!now) refuse(`drops column ${old.name}`, 'keep it in the contract as a nullable column and stop filling it');
    if (now && now.type !== old.type) {
      refuse(
        `changes column ${old.name} from ${old.type} to ${now.type}`,
        'Athena cannot change the type of a Parquet column in place (only int→bigint and float→double are even readable, ' +
          'and those need the table re-created); add a new column instead',
      );
    }
  }
  const added = fileColumns(contract).filter((c) => !previous.columns.some((old) => old.name === c.name));
  for (const column of added) {
    if (column.required) {
      refuse(`adds required column ${column.name}`, 'existing partitions have no values for it; add it as nullable (required: false)');
    }
  }
  return added;
}

function describe(keys: Array<{ name: string; type: string }>): string {
  return keys.map((k) => `${k.name} ${k.type}`).join(', ');
}
