import { readdir } from 'node:fs/promises';
import { GluelessError } from '../pipeline/contract/errors.js';

/**
 * Whether a lake directory is there before a command touches it: `missing` (no such directory: often a mistyped
 * `--lake`), `new` (a directory holding nothing a lake holds yet) or `ready`. Read before anything is opened, because
 * opening a lake makes its zones and catalog.
 */
export type LakeState = 'missing' | 'new' | 'ready';

/** What a lake holds once any command wrote to it. */
const LAKE_ENTRIES = new Set(['catalog.duckdb', 'raw', 'processed', 'quarantine', 'failed']);

export async function lakeState(dir: string): Promise<LakeState> {
  try {
    const entries = await readdir(dir);
    return entries.some((entry) => LAKE_ENTRIES.has(entry)) ? 'ready' : 'new';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') throw new GluelessError(`lake ${dir} is a file, not a directory (check --lake or GLUELESS_LAKE)`);
    throw error;
  }
}

/** The one line a command that only reads says about a lake with nothing to read; undefined when it is ready. */
export function lakeNotice(dir: string, state: LakeState): string | undefined {
  if (state === 'missing') return `lake ${dir} does not exist (check --lake or GLUELESS_LAKE; ingest makes one)`;
  if (state === 'new') return `lake ${dir} is new (no tables yet)`;
  return undefined;
}

/**
 * For a command that only reads the lake: a lake that is not there or holds nothing is an error, said in one line,
 * and nothing is created (a mistyped `--lake` must not leave an empty lake behind).
 */
export async function requireLakeToRead(dir: string): Promise<void> {
  const notice = lakeNotice(dir, await lakeState(dir));
  if (notice) throw new GluelessError(notice);
}

/**
 * For a command that lists what a lake holds (tables, redrive): a lake that is not there is an error (a mistyped
 * `--lake`); one that holds nothing yet is said on stderr and has nothing to list. Neither is opened, so neither is
 * made. True when the lake holds something.
 */
export async function lakeHoldsAnything(dir: string): Promise<boolean> {
  const state = await lakeState(dir);
  const notice = lakeNotice(dir, state);
  if (state === 'missing') throw new GluelessError(notice!);
  if (notice) process.stderr.write(`glueless: ${notice}\n`);
  return state === 'ready';
}
