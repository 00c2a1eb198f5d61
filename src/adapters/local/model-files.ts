import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseModel } from '../../models/load.js';
import type { ModelDefinition } from '../../models/model.js';

/** Every `<dir>/*.sql` model; no directory means no models. */
export async function loadModelDirectory(directory: string): Promise<ModelDefinition[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(directory, name);
      return parseModel(file, await readFile(file, 'utf8'));
    }),
  );
}
