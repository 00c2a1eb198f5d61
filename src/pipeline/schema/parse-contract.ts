import { z } from 'zod';
import { parseYamlFile, timeZone } from './yaml-schema.js';
import { ContractError } from '../contract/errors.js';
import { DEFAULT_MAX_COMPRESSION_RATIO, DEFAULT_MAX_UNCOMPRESSED_BYTES } from '../read/decompress.js';
import { isIdentifier } from '../contract/names.js';
import { parseColumnType, type ColumnType } from '../contract/column-type.js';
import { parseExpression, type Expression } from '../typing/expression.js';
import { CAST_FAILED, casterFor } from '../typing/cast.js';
import { INGEST_DATE, INGEST_TIME, type DatasetContract, type ColumnContract, type ParseOptions, type DerivedColumn } from '../contract/contract.js';

/** Loads a dataset contract from its YAML and validates it, so everything downstream can trust it. */
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

const bound = z.union([z.number(), z.string()]).transform(String);

const regex = z.string().refine(
  (text) => {
    try {
      new RegExp(text, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

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
      format: z.enum(['csv', 'jsonl']).default('csv'),
      delimiter: z.string().length(1, 'must be one character, e.g. "," ";" "\\t" "|"').default(','),
      quote: z.string().length(1, 'must be one character, e.g. \'"\'').default('"'),
      null_values: z.array(z.string()).default([]),
      max_record_chars: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
      max_uncompressed_bytes: z.number().int().min(1024 * 1024).default(DEFAULT_MAX_UNCOMPRESSED_BYTES),
      max_compression_ratio: z.number().min(2).default(DEFAULT_MAX_COMPRESSION_RATIO),
    }),
    columns: z
      .array(
        z.strictObject({
          name: identifier,
          source: z.string().min(1).optional(),
          type: columnType,
          required: z.boolean().default(false),
          format: z.string().min(1).optional(),
          timezone: timeZone.optional(),
          true_values: z.array(z.string().min(1)).min(1).optional(),
          false_values: z.array(z.string().min(1)).min(1).optional(),
          null_values: z.array(z.string()).default([]),
          trim: z.boolean().default(false),
          accepted_values: z.array(z.union([z.string(), z.number(), z.boolean()]).transform(String)).min(1).optional(),
          min: bound.optional(),
          max: bound.optional(),
          pattern: regex.optional(),
          min_length: z.number().int().min(0).optional(),
          max_length: z.number().int().min(1).optional(),
          statistics: z.boolean().optional(),
        }),
      )
      .min(1),
    derived: z
      .array(z.strictObject({ name: identifier, type: columnType, expr: z.string().min(1), statistics: z.boolean().optional() }))
      .default([]),
    primary_key: z.array(identifier).default([]),
    primary_key_scope: z.enum(['file', 'table']).default('file'),
    partition_by: z.strictObject({
      column: identifier,
      layout: z.enum(['date', 'year_month_day_hour', 'year_month_day', 'year_month', 'year']).default('date'),
      // Athena partition projection instead of registering partitions (the first partition value and, optionally,
      // the last: a date, or NOW / NOW+1YEARS style for a date key).
      projection: z
        .strictObject({
          from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD'),
          to: z.string().regex(/^(\d{4}-\d{2}-\d{2}|NOW([+-]\d+(YEARS|MONTHS|WEEKS|DAYS))?)$/, 'a date (YYYY-MM-DD) or NOW, NOW+1YEARS, …').optional(),
        })
        .optional(),
    }),
    file: z
      .strictObject({
        required_headers: z.array(z.string().min(1)).default([]),
        min_rows: z.number().int().min(0).default(0),
        max_error_ratio: z.number().min(0).max(1).default(1),
        extra_columns: z.enum(['ignore', 'reject']).default('ignore'),
      })
      .default({ required_headers: [], min_rows: 0, max_error_ratio: 1, extra_columns: 'ignore' }),
    row_group_size: z.number().int().min(100).max(1_000_000).default(20_000),
  })
  .strict();

type RawContract = z.output<typeof contractSchema>;

/** Parses and validates contract YAML. `fileName` appears in every error message. */
export function parseContract(yamlText: string, fileName: string): DatasetContract {
  return checkReferences(parseYamlFile(contractSchema, yamlText, fileName, (message) => new ContractError(message)), fileName);
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
    typesByName.set(column.name, column.type);
    return { name: column.name, type: column.type, expression, expressionText: column.expr, ...(column.statistics === undefined ? {} : { statistics: column.statistics }) };
  });
  raw.primary_key.forEach((key, index) => {
    if (!raw.columns.some((c) => c.name === key)) fail(`primary_key[${index}]`, `"${key}" is not a declared column`);
  });
  if (raw.primary_key_scope === 'table') {
    if (raw.primary_key.length === 0) fail('primary_key_scope', 'table needs a primary_key');
    const kinds = raw.primary_key.map((key) => typesByName.get(key)?.kind);
    if (kinds.some((kind) => kind !== 'string' && kind !== 'int' && kind !== 'bigint' && kind !== 'date' && kind !== 'timestamp')) {
      fail('primary_key_scope', 'table works on string, int, bigint, date and timestamp keys');
    }
  }
  const arrival = raw.partition_by.column === INGEST_DATE || raw.partition_by.column === INGEST_TIME;
  const byIngestDate = arrival && !typesByName.has(raw.partition_by.column);
  if (byIngestDate && raw.partition_by.column === INGEST_TIME && raw.partition_by.layout === 'date') {
    fail('partition_by.layout', `"date" layout needs ${INGEST_DATE}; use year_month_day_hour (or another year_* layout) with ${INGEST_TIME}`);
  }
  if (byIngestDate && raw.partition_by.column === INGEST_DATE && raw.partition_by.layout === 'year_month_day_hour') {
    fail('partition_by.layout', `an hourly layout needs a time: use ${INGEST_TIME}`);
  }
  if (!byIngestDate) {
    const partitionType = typesByName.get(raw.partition_by.column);
    if (!partitionType) fail('partition_by.column', `"${raw.partition_by.column}" is not a declared column (or use ${INGEST_DATE} / ${INGEST_TIME})`);
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
    if (raw.partition_by.layout === 'year_month_day_hour' && partitionType?.kind === 'date') {
      fail('partition_by.layout', '"year_month_day_hour" layout needs a timestamp column; a date has no hour');
    }
  }
  // A year/month/day layout adds partition keys of those names: a column of the same name would be shadowed by them.
  const layoutKeys = {
    date: [],
    year: ['year'],
    year_month: ['year', 'month'],
    year_month_day: ['year', 'month', 'day'],
    year_month_day_hour: ['year', 'month', 'day', 'hour'],
  }[raw.partition_by.layout];
  for (const key of layoutKeys) {
    if (typesByName.has(key)) {
      fail('partition_by.layout', `layout ${raw.partition_by.layout} adds the partition key "${key}", which is also a column; rename the column`);
    }
  }
  const columns = raw.columns.map((c, index): ColumnContract => {
    const field = (name: string) => `columns[${index}].${name}`;
    const parse: ParseOptions = {
      format: c.format,
      timezone: c.timezone,
      trueValues: c.true_values,
      falseValues: c.false_values,
      nullTokens: c.null_values,
      trim: c.trim,
    };
    const kind = c.type.kind;
    if (c.format && kind !== 'date' && kind !== 'timestamp') fail(field('format'), `only date and timestamp columns take a format`);
    if (c.timezone && kind !== 'timestamp') fail(field('timezone'), 'only timestamp columns take a timezone');
    if ((c.true_values || c.false_values) && kind !== 'boolean') fail(field('true_values'), 'only boolean columns take true_values / false_values');
    if ((c.min_length !== undefined || c.max_length !== undefined || c.pattern) && kind !== 'string') {
      fail(field(c.pattern ? 'pattern' : 'min_length'), 'length and pattern rules apply to string columns');
    }
    const caster = casterFor(c.type, parse);
    for (const name of ['min', 'max'] as const) {
      const value = c[name];
      if (value === undefined) continue;
      if (kind === 'string' || kind === 'boolean') fail(field(name), `a ${kind} column has no ${name}`);
      if (caster(value) === CAST_FAILED) fail(field(name), `"${value}" is not a valid ${kind} for this column`);
    }
    for (const value of c.accepted_values ?? []) {
      if (caster(value) === CAST_FAILED) fail(field('accepted_values'), `"${value}" is not a valid ${kind} for this column`);
    }
    return {
      name: c.name,
      source: c.source,
      type: c.type,
      required: c.required,
      parse,
      rules: {
        acceptedValues: c.accepted_values,
        min: c.min,
        max: c.max,
        pattern: c.pattern,
        minLength: c.min_length,
        maxLength: c.max_length,
      },
      ...(c.statistics === undefined ? {} : { statistics: c.statistics }),
    };
  });
  return {
    name: raw.name,
    description: raw.description,
    prefix: raw.source.prefix,
    format: raw.source.format,
    csv: {
      delimiter: raw.source.delimiter,
      quote: raw.source.quote,
      nullTokens: raw.source.null_values,
      maxRecordChars: raw.source.max_record_chars,
      maxUncompressedBytes: raw.source.max_uncompressed_bytes,
      maxCompressionRatio: raw.source.max_compression_ratio,
    },
    columns,
    derived,
    primaryKey: raw.primary_key,
    ...(raw.primary_key_scope === 'table' ? { primaryKeyScope: 'table' as const } : {}),
    partition: {
      column: raw.partition_by.column,
      layout: raw.partition_by.layout,
      byIngestDate,
      ...(raw.partition_by.projection ? { projection: { from: raw.partition_by.projection.from, to: raw.partition_by.projection.to } } : {}),
    },
    file: {
      requiredHeaders: raw.file.required_headers,
      minRows: raw.file.min_rows,
      maxErrorRatio: raw.file.max_error_ratio,
      extraColumns: raw.file.extra_columns,
    },
    rowGroupSize: raw.row_group_size,
  };
}
