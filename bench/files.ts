import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Total size of the .parquet files under a directory. */
export async function parquetBytes(directory: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.parquet')) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
