import type { ObjectStore } from '../pipeline/contract/ports.js';
import { placeholdersOf } from './placeholders.js';
import type { SourceDefinition } from './source.js';

/**
 * The last window landed, read back from the raw keys themselves (the raw object that exists is the state): the key
 * template becomes a pattern, and the window parts of every matching key give its window.
 */
export async function lastWindowLanded(source: SourceDefinition, prefix: string, raw: ObjectStore): Promise<{ window: string; objects: number } | undefined> {
  const pattern = keyPattern(source, prefix);
  let last: string | undefined;
  let objects = 0;
  for (const object of await raw.list(prefix)) {
    const match = pattern.exec(object.key);
    if (!match?.groups) continue;
    objects++;
    const g = match.groups;
    const id = g.window ?? [`${g.yyyy}-${g.MM}`, g.dd && `-${g.dd}`, g.HH && `T${g.HH}`].filter(Boolean).join('');
    if (last === undefined || id > last) last = id;
  }
  return last === undefined ? undefined : { window: last, objects };
}

function keyPattern(source: SourceDefinition, prefix: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const seen = new Set<string>();
  let pattern = '';
  let rest = source.target.key;
  for (const name of placeholdersOf(source.target.key)) {
    const at = rest.indexOf(`{${name}}`);
    pattern += escape(rest.slice(0, at));
    pattern += seen.has(name) ? `\\k<${name}>` : `(?<${name}>[^/]+?)`;
    seen.add(name);
    rest = rest.slice(at + name.length + 2);
  }
  return new RegExp(`^${escape(prefix)}${pattern}${escape(rest)}$`);
}
