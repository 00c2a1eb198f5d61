import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSource } from '../../extract/parse-source.js';
import type { SourceDefinition } from '../../extract/source.js';
import { SourceError } from '../../extract/errors.js';

/** Every `*.yaml` source definition in a directory (default `sources/`), validated. */
export async function loadSourceDirectory(directory: string): Promise<SourceDefinition[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new SourceError(`${directory}: source directory not found (set --sources or GLUELESS_SOURCES)`);
  }
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(directory, name);
      return parseSource(await readFile(file, 'utf8'), path.relative(process.cwd(), file) || file);
    }),
  );
}
