import { z } from 'zod';
import { SourceError } from './errors.js';
import { isIdentifier } from '../pipeline/contract/names.js';
import { parseYamlFile, timeZone } from '../pipeline/schema/yaml-schema.js';
import type { SourceDefinition, SourceItem } from './source.js';
import { placeholdersOf } from './placeholders.js';
import { KEY_PLACEHOLDERS, WINDOW_PLACEHOLDERS } from './window.js';

/** Loads a source definition from its YAML and validates it: a mistake names the file and the field. */

const identifier = z.string().refine(isIdentifier, { message: 'must be lowercase snake_case (letters, digits, _)' });

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const paginationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('next_url'), path: z.string().min(1) }),
  z.strictObject({
    type: z.literal('page'),
    param: z.string().min(1),
    start: z.number().int().min(0).default(1),
    size_param: z.string().min(1).optional(),
    size: z.number().int().min(1).optional(),
  }),
  z.strictObject({ type: z.literal('offset'), param: z.string().min(1), limit_param: z.string().min(1), limit: z.number().int().min(1) }),
  z.strictObject({ type: z.literal('cursor'), path: z.string().min(1), param: z.string().min(1) }),
  z.strictObject({ type: z.literal('link_header') }),
]);

const recordsSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('csv') }),
  z.strictObject({ type: z.literal('rows'), path: z.string().default(''), absent: z.enum(['empty', 'error']).default('error') }),
  z.strictObject({ type: z.literal('columns'), path: z.string().min(1) }),
]);

const sourceSchema = z.strictObject({
  name: identifier,
  description: z.string().optional(),
  request: z.strictObject({
    url: z.string().regex(/^https?:\/\/[^/{}]+/, { message: 'must be an absolute http(s) URL with a fixed host' }),
    query: z.record(z.string(), scalar.transform(String)).default({}),
    headers: z.record(z.string(), z.string()).default({}),
    items: z.array(z.union([scalar, z.record(z.string(), scalar)])).min(1).optional(),
    item_name: identifier.optional(),
    timeout_seconds: z.number().positive().max(900).default(30),
    concurrency: z.number().int().min(1).max(32).default(2),
    retry: z
      .strictObject({
        max_attempts: z.number().int().min(1).max(20).default(5),
        base_delay_ms: z.number().int().min(0).default(500),
        max_delay_ms: z.number().int().min(0).default(60_000),
      })
      .default({ max_attempts: 5, base_delay_ms: 500, max_delay_ms: 60_000 }),
  }),
  secret: z
    .strictObject({
      env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'must be an environment variable name (UPPER_SNAKE)' }).optional(),
      ssm_parameter: z.string().regex(/^\/[A-Za-z0-9_.\-/]+$/, { message: 'must be a parameter path starting with "/"' }).optional(),
      secrets_manager: z.string().regex(/^[A-Za-z0-9/_+=.@-]+$/, { message: 'must be a secret name' }).optional(),
    })
    .refine((s) => s.env || s.ssm_parameter || s.secrets_manager, { message: 'needs env, ssm_parameter or secrets_manager' })
    .refine((s) => !(s.ssm_parameter && s.secrets_manager), { message: 'ssm_parameter and secrets_manager are exclusive' })
    .optional(),
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('none') }),
      z.strictObject({ type: z.literal('query'), name: z.string().min(1) }),
      z.strictObject({ type: z.literal('header'), name: z.string().min(1), prefix: z.string().default('') }),
    ])
    .default({ type: 'none' }),
  window: z.strictObject({
    unit: z.enum(['hour', 'day', 'month']),
    timezone: timeZone.default('UTC'),
    format: z.enum(['date', 'datetime', 'epoch_ms', 'epoch_s']).default('date'),
    schedule: z.string().regex(/^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/, {
      message: 'must be an EventBridge Scheduler expression: cron(…) or rate(N unit)',
    }),
    schedule_timezone: timeZone.default('UTC'),
    lag: z.number().int().min(0).default(1),
    lookback: z.number().int().min(1).max(366).default(1),
    delay_hours: z.number().min(0).max(24 * 60).default(0),
    request_span: z.number().int().min(1).max(3660).default(1),
    record_time: z.strictObject({ field: z.string().min(1), format: z.enum(['date', 'epoch_ms', 'epoch_s']) }).optional(),
  }),
  pagination: paginationSchema.default({ type: 'none' }),
  response: z.strictObject({
    records: recordsSchema,
    errors: z.array(z.strictObject({ path: z.string().min(1), equals: scalar, reason: z.string().min(1).optional() })).default([]),
    add_fields: z.array(identifier).default([]),
    window_field: identifier.optional(),
  }),
  target: z.strictObject({
    dataset: identifier,
    key: z.string().min(1).refine((k) => !k.startsWith('/') && !k.split('/').includes('..'), {
      message: 'must be a relative key without ".."',
    }),
    format: z.enum(['jsonl', 'as_received']).optional(),
  }),
});

type RawSource = z.output<typeof sourceSchema>;

export function parseSource(yamlText: string, fileName: string): SourceDefinition {
  return checkReferences(parseYamlFile(sourceSchema, yamlText, fileName, (message) => new SourceError(message)), fileName);
}

/** What a schema cannot say: placeholders name real things, keys are unique per window and item, auth has a secret. */
function checkReferences(raw: RawSource, file: string): SourceDefinition {
  const fail = (field: string, message: string): never => {
    throw new SourceError(`${file}: ${field}: ${message}`);
  };
  const items = itemsOf(raw, fail);
  const itemFields = new Set(items.flatMap((item) => Object.keys(item)));
  const requestNames = new Set([...WINDOW_PLACEHOLDERS, ...itemFields]);
  const checkPlaceholders = (field: string, text: string, known: Set<string>) => {
    for (const name of placeholdersOf(text)) {
      if (!known.has(name)) fail(field, `unknown placeholder {${name}} (known: ${[...known].map((n) => `{${n}}`).join(', ')})`);
    }
  };
  checkPlaceholders('request.url', raw.request.url, requestNames);
  for (const [name, value] of Object.entries(raw.request.query)) checkPlaceholders(`request.query.${name}`, value, requestNames);
  for (const [name, value] of Object.entries(raw.request.headers)) checkPlaceholders(`request.headers.${name}`, value, requestNames);

  const keyNames = new Set([...KEY_PLACEHOLDERS, ...itemFields]);
  checkPlaceholders('target.key', raw.target.key, keyNames);
  const used = new Set(placeholdersOf(raw.target.key));
  const windowParts = { month: ['yyyy', 'MM'], day: ['yyyy', 'MM', 'dd'], hour: ['yyyy', 'MM', 'dd', 'HH'] }[raw.window.unit];
  if (!used.has('window') && !windowParts.every((part) => used.has(part))) {
    fail('target.key', `must hold {window} or ${windowParts.map((p) => `{${p}}`).join(' ')} so each ${raw.window.unit} has its own object`);
  }
  if (items.length > 1 && ![...itemFields].some((field) => used.has(field))) {
    fail('target.key', `must hold an item field (${[...itemFields].map((f) => `{${f}}`).join(', ')}) so each item has its own object`);
  }
  for (const [index, field] of raw.response.add_fields.entries()) {
    if (!itemFields.has(field)) fail(`response.add_fields[${index}]`, `"${field}" is not a field of request.items`);
  }
  if (raw.auth.type !== 'none' && !raw.secret) fail('secret', `auth.type ${raw.auth.type} needs a secret (env, ssm_parameter or secrets_manager)`);
  if (raw.window.request_span > 1 && !raw.window.record_time) {
    fail('window.record_time', 'is needed when request_span > 1: it tells which window each record belongs to');
  }
  const csv = raw.response.records.type === 'csv';
  const format = raw.target.format ?? (csv ? 'as_received' : 'jsonl');
  if (csv !== (format === 'as_received')) {
    fail('target.format', csv ? 'CSV records land as_received' : 'JSON records land as jsonl');
  }
  if (csv && raw.pagination.type !== 'none') fail('pagination', 'CSV is landed as received, one page a window: use type none');
  if (csv && raw.window.request_span > 1) fail('window.request_span', 'CSV responses cannot be split into windows: use 1');
  if (csv && (raw.response.add_fields.length > 0 || raw.response.window_field)) {
    fail('response.add_fields', 'CSV is landed as received: no fields can be added');
  }

  const p = raw.pagination;
  return {
    name: raw.name,
    description: raw.description,
    file,
    request: {
      url: raw.request.url,
      query: raw.request.query,
      headers: raw.request.headers,
      items,
      timeoutMs: Math.round(raw.request.timeout_seconds * 1000),
      concurrency: raw.request.concurrency,
      retry: {
        maxAttempts: raw.request.retry.max_attempts,
        baseDelayMs: raw.request.retry.base_delay_ms,
        maxDelayMs: raw.request.retry.max_delay_ms,
      },
    },
    secret: raw.secret && {
      env: raw.secret.env,
      ssmParameter: raw.secret.ssm_parameter,
      secretsManager: raw.secret.secrets_manager,
    },
    auth: raw.auth,
    window: {
      unit: raw.window.unit,
      timezone: raw.window.timezone,
      format: raw.window.format,
      schedule: raw.window.schedule,
      scheduleTimezone: raw.window.schedule_timezone,
      lag: raw.window.lag,
      lookback: raw.window.lookback,
      delayMs: Math.round(raw.window.delay_hours * 3_600_000),
      requestSpan: raw.window.request_span,
      recordTime: raw.window.record_time,
    },
    pagination:
      p.type === 'page'
        ? { type: 'page', param: p.param, start: p.start, size: p.size_param && p.size ? { param: p.size_param, value: p.size } : undefined }
        : p.type === 'offset'
          ? { type: 'offset', param: p.param, limitParam: p.limit_param, limit: p.limit }
          : p,
    response: {
      records:
        raw.response.records.type === 'rows'
          ? { type: 'rows', path: raw.response.records.path, absentIsEmpty: raw.response.records.absent === 'empty' }
          : raw.response.records,
      errors: raw.response.errors,
      addFields: raw.response.add_fields,
      windowField: raw.response.window_field,
    },
    target: { dataset: raw.target.dataset, key: raw.target.key, format },
  };
}

/** Items as field maps: scalars are named by `item_name`; no items is one request with no item fields. */
function itemsOf(raw: RawSource, fail: (field: string, message: string) => never): SourceItem[] {
  const items = raw.request.items;
  if (!items) return [{}];
  return items.map((item, index) => {
    if (typeof item === 'object') {
      for (const key of Object.keys(item)) if (!isIdentifier(key)) fail(`request.items[${index}].${key}`, 'field names must be snake_case');
      return item;
    }
    if (!raw.request.item_name) fail('request.item_name', 'is needed when request.items are plain values (e.g. item_name: ticker)');
    return { [raw.request.item_name!]: item };
  });
}
