import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * What every YAML file glueless reads (dataset contracts, API sources) shares: YAML parsed and checked against a zod
 * schema, and the first problem reported in one line naming the file and the field.
 */

/** An IANA time zone name, checked against the runtime's own zone data. */
export const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'unknown IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)' },
);

/** Parses `yamlText` and validates it; a failure throws `toError('<file>: <field>: <what is wrong>')`. */
export function parseYamlFile<Schema extends z.ZodType>(
  schema: Schema,
  yamlText: string,
  fileName: string,
  toError: (message: string) => Error,
): z.output<Schema> {
  let document: unknown;
  try {
    document = parseYaml(yamlText);
  } catch (error) {
    throw toError(`${fileName}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = schema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw toError(`${fileName}: ${fieldPath(issue.path) || '(top level)'}: ${issue.message}${suggestionFor(schema, issue)}`);
  }
  return result.data;
}

/** `['columns', 3, 'type']` → `columns[3].type`. */
export function fieldPath(path: PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

/** For a misspelt key (`requried`), the key the schema has that is nearest to it: ` (did you mean "required"?)`. */
function suggestionFor(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return '';
  const known = objectKeysAt(schema, issue.path);
  const suggestions = issue.keys
    .map((key) => {
      const best = known
        .map((candidate) => ({ candidate, distance: editDistance(key, candidate) }))
        .sort((a, b) => a.distance - b.distance)[0];
      return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.candidate : undefined;
    })
    .filter((s): s is string => s !== undefined);
  return suggestions.length > 0 ? ` (did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?)` : '';
}

/** The keys of the object schema found by following `path` through objects, arrays and wrappers. */
function objectKeysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let current: any = schema;
  const unwrap = () => {
    for (let guard = 0; guard < 20 && current; guard++) {
      const def = current._zod?.def ?? current.def;
      if (!def) return;
      if (def.innerType) current = def.innerType;
      else if (def.type === 'pipe') current = def.in;
      else return;
    }
  };
  unwrap();
  for (const part of path) {
    const def = current?._zod?.def ?? current?.def;
    if (!def) return [];
    if (typeof part === 'number' && def.type === 'array') current = def.element;
    else if (def.type === 'object' && typeof part === 'string') current = def.shape[part];
    else return [];
    unwrap();
  }
  const def = current?._zod?.def ?? current?.def;
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const kept = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = kept;
    }
  }
  return row[b.length]!;
}
