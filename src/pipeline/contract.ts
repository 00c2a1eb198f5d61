import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ContractError } from './errors.js';
import { isIdentifier } from './names.js';
import { parseColumnType, type ColumnType } from './types.js';
import { parseExpression, referencedColumns, type Expression } from './expression.js';

/**
 * A dataset contract: what one raw key prefix holds and how it becomes a table. Loaded from datasets/<name>.yaml and
 * validated here, so everything downstream can trust it.
 */
export interface DatasetContract {
  /** Table name in the catalog (Athena / DuckDB). */
  name: string;
  description?: string;
  /** Raw key prefix this dataset owns, e.g. `sales/orders/`. */
  prefix: string;
  csv: CsvOptions;
  columns: ColumnContract[];
  derived: DerivedColumn[];
  primaryKey: string[];
  partition: PartitionSpec;
  rowGroupSize: number;
}

export interface CsvOptions {
  delimiter: string;
  quote: string;
  /** Tokens read as null, compared after trimming. The empty string is always null. */
  nullTokens: string[];
}

export interface ColumnContract {
  name: string;
  /** Header in the source file; by default the header whose snake_case is `name`. */
  source?: string;
  type: ColumnType;
  required: boolean;
}

export interface DerivedColumn {
  name: string;
  type: ColumnType;
  expression: Expression;
  /** The expression as written in the contract, for DDL comments and error messages. */
  expressionText: string;
}

export type PartitionLayout = 'date' | 'year_month_day' | 'year_month' | 'year';

export interface PartitionSpec {
  /** Date or timestamp column the partition values come from. */
  column: string;
  layout: PartitionLayout;
}

const identifier = z.string().refine(isIdentifier, {
  message: 'must be lowercase snake_case (letters, digits, _; not starting with a digit)',
});

const columnType = z.string().transform((text, ctx) => {
  const parsed = parseColumnType(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

const contractSchema = z
  .object({
    name: identifier,
    description: z.string().optional(),
    source: z.strictObject({
      prefix: z
        .string()
        .min(1)
        .refine((p) => p.endsWith('/') && !p.startsWith('/') && !p.split('/').includes('..'), {
          message: 'must be a relative key prefix ending in "/", without ".." (e.g. sales/orders/)',
        }),
      format: z.literal('csv').default('csv'),
      delimiter: z.string().length(1).default(','),
      quote: z.string().length(1).default('"'),
      null_values: z.array(z.string()).default([]),
    }),
    columns: z
      .array(
        z.strictObject({
          name: identifier,
          source: z.string().min(1).optional(),
          type: columnType,
          required: z.boolean().default(false),
        }),
      )
      .min(1),
    derived: z
      .array(z.strictObject({ name: identifier, type: columnType, expr: z.string().min(1) }))
      .default([]),
    primary_key: z.array(identifier).default([]),
    partition_by: z.strictObject({
      column: identifier,
      layout: z.enum(['date', 'year_month_day', 'year_month', 'year']).default('date'),
    }),
    row_group_size: z.number().int().min(100).max(1_000_000).default(20_000),
  })
  .strict();

type RawContract = z.output<typeof contractSchema>;

/** Parses and validates contract YAML. `fileName` appears in every error message. */
export function parseContract(yamlText: string, fileName: string): DatasetContract {
  let document: unknown;
  try {
    document = parseYaml(yamlText);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new ContractError(`${fileName}: not valid YAML: ${reason}`);
  }
  const result = contractSchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ContractError(`${fileName}: ${formatPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  return checkReferences(result.data, fileName);
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** Cross-field checks a schema cannot express: names unique, keys and expressions refer to real columns. */
function checkReferences(raw: RawContract, fileName: string): DatasetContract {
  const fail = (field: string, message: string): never => {
    throw new ContractError(`${fileName}: ${field}: ${message}`);
  };
  const typesByName = new Map<string, ColumnType>();
  raw.columns.forEach((column, index) => {
    if (typesByName.has(column.name)) fail(`columns[${index}].name`, `duplicate column "${column.name}"`);
    typesByName.set(column.name, column.type);
  });
  const derived: DerivedColumn[] = raw.derived.map((column, index) => {
    if (typesByName.has(column.name)) fail(`derived[${index}].name`, `duplicate column "${column.name}"`);
    let expression: Expression;
    try {
      expression = parseExpression(column.expr, (ref) => typesByName.has(ref));
    } catch (error) {
      return fail(`derived[${index}].expr`, (error as Error).message);
    }
    for (const ref of referencedColumns(expression)) {
      const kind = typesByName.get(ref)!.kind;
      if (!['int', 'bigint', 'double', 'decimal'].includes(kind)) {
        fail(`derived[${index}].expr`, `"${ref}" is a ${kind} column; arithmetic needs int, bigint, double or decimal`);
      }
    }
    if (!['int', 'bigint', 'double', 'decimal'].includes(column.type.kind)) {
      fail(`derived[${index}].type`, 'a derived column must be int, bigint, double or decimal');
    }
    typesByName.set(column.name, column.type);
    return { name: column.name, type: column.type, expression, expressionText: column.expr };
  });
  raw.primary_key.forEach((key, index) => {
    if (!raw.columns.some((c) => c.name === key)) fail(`primary_key[${index}]`, `"${key}" is not a declared column`);
  });
  const partitionType = typesByName.get(raw.partition_by.column);
  if (!partitionType) fail('partition_by.column', `"${raw.partition_by.column}" is not a declared column`);
  if (partitionType && partitionType.kind !== 'date' && partitionType.kind !== 'timestamp') {
    fail('partition_by.column', `"${raw.partition_by.column}" must be a date or timestamp column`);
  }
  const partitionSource = raw.columns.find((c) => c.name === raw.partition_by.column);
  if (partitionType && !partitionSource) {
    fail('partition_by.column', `"${raw.partition_by.column}" must be a source column, not a derived one`);
  }
  if (partitionSource && !partitionSource.required) {
    fail('partition_by.column', `"${raw.partition_by.column}" must be required (a row needs a partition)`);
  }
  if (raw.partition_by.layout === 'date' && partitionType?.kind === 'timestamp') {
    fail('partition_by.layout', '"date" layout needs a date column; use year_month_day for a timestamp');
  }
  return {
    name: raw.name,
    description: raw.description,
    prefix: raw.source.prefix,
    csv: { delimiter: raw.source.delimiter, quote: raw.source.quote, nullTokens: raw.source.null_values },
    columns: raw.columns.map((c) => ({ name: c.name, source: c.source, type: c.type, required: c.required })),
    derived,
    primaryKey: raw.primary_key,
    partition: { column: raw.partition_by.column, layout: raw.partition_by.layout },
    rowGroupSize: raw.row_group_size,
  };
}
