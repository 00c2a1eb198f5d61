import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { writeFileInPlace } from './file-in-place.js';
import type { FileBatch, FileBatchResult } from './background-file-writer.js';

/** The thread of background-file-writer.ts: writes each batch of small files it is sent, in order, and says which failed. */
parentPort!.on('message', (batch: FileBatch) => {
  const bytes = new Uint8Array(batch.buffer);
  const failures: FileBatchResult['failures'] = [];
  let offset = 0;
  // A batch's files often share a directory (a table's files of one partition do not, a quarantine's do): made once.
  let made = '';
  for (let index = 0; index < batch.files.length; index++) {
    const file = batch.files[index]!;
    const body = bytes.subarray(offset, (offset += batch.lengths[index]!));
    const directory = path.dirname(file);
    try {
      writeFileInPlace(file, body, directory === made);
      made = directory;
    } catch (error) {
      const { message, code } = error as NodeJS.ErrnoException;
      failures.push({ index, message, code });
    }
  }
  parentPort!.postMessage({ id: batch.id, failures } satisfies FileBatchResult);
});
