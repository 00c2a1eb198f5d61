import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { Lake } from '../../pipeline/contract/ports.js';
import { rangeOutcome } from '../../pipeline/run/ranged-run.js';
import type { RangeWorkRequest } from './range-workers.js';
import { DirectoryObjectStore } from './directory-store.js';

/** One worker thread of `glueless ingest --workers N`: converts the byte ranges it is sent, in the lake directory it was given. */
const root = (workerData as { root: string }).root;
const lake: Lake = {
  raw: new DirectoryObjectStore(path.join(root, 'raw')),
  processed: new DirectoryObjectStore(path.join(root, 'processed')),
  quarantine: new DirectoryObjectStore(path.join(root, 'quarantine')),
};

parentPort!.on('message', (request: RangeWorkRequest) => {
  void rangeOutcome(request.sourceKey, request.contract, lake, request.task).then((outcome) => parentPort!.postMessage({ id: request.id, outcome }));
});
