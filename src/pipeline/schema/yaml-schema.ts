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
    throw toError(`${fileName}: ${fieldPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  return result.data;
}

/** `['columns', 3, 'type']` → `columns[3].type`. */
export function fieldPath(path: PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}
