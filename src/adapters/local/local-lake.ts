import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Lake } from '../../pipeline/contract/ports.js';
import { DirectoryObjectStore } from './directory-store.js';
import { DuckDbCatalog } from './duckdb-catalog.js';
import { FileNotifier } from './file-notifier.js';

/** The embedded default: a lake directory (`.lake/` unless told otherwise) with raw, processed and quarantine zones. */
export const DEFAULT_LAKE_DIR = '.lake';

export interface LocalLake {
  root: string;
  lake: Lake;
  /** The raw zone (also `lake.raw`), as the directory it is: files of this machine are copied in, not streamed. */
  rawZone: DirectoryObjectStore;
  catalog: DuckDbCatalog;
  notifier: FileNotifier;
}

export async function openLocalLake(root = DEFAULT_LAKE_DIR): Promise<LocalLake> {
  const absolute = path.resolve(root);
  const zones = ['raw', 'processed', 'quarantine'] as const;
  await Promise.all(zones.map((zone) => mkdir(path.join(absolute, zone), { recursive: true })));
  const rawZone = new DirectoryObjectStore(path.join(absolute, 'raw'));
  return {
    root: absolute,
    rawZone,
    lake: {
      raw: rawZone,
      processed: new DirectoryObjectStore(path.join(absolute, 'processed')),
      quarantine: new DirectoryObjectStore(path.join(absolute, 'quarantine')),
    },
    catalog: new DuckDbCatalog(path.join(absolute, 'catalog.duckdb')),
    notifier: new FileNotifier(path.join(absolute, 'notices.jsonl')),
  };
}
