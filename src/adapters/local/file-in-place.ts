import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A file written the way every write to a directory lake is: into a temporary file beside it, renamed into place, so a
 * reader never sees half of it; nothing is left if it fails. Blocking calls (see DirectoryObjectStore.write for why).
 */
export function writeFileInPlace(file: string, body: Uint8Array | string, directoryMade = false): void {
  const temporary = temporaryPath(file);
  try {
    if (!directoryMade) mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(temporary, body);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** A temporary name beside `file`, which listings of the lake leave out (`.tmp-`). */
export function temporaryPath(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
