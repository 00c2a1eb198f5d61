import path from 'node:path';
import { workerData } from 'node:worker_threads';
import { serveRanges } from '../threads/serve-ranges.js';
import { DirectoryObjectStore } from './directory-store.js';

/** One worker thread of `glueless ingest --workers N`: converts the byte ranges it is sent, in the lake directory it was given. */
const root = (workerData as { root: string }).root;
serveRanges({
  raw: new DirectoryObjectStore(path.join(root, 'raw')),
  processed: new DirectoryObjectStore(path.join(root, 'processed')),
  quarantine: new DirectoryObjectStore(path.join(root, 'quarantine')),
});
