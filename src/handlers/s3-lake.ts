import type { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import type { Lake } from '../pipeline/contract/ports.js';

/**
 * The lake's three zones on S3: the raw bucket root, the processed bucket root, and the processed bucket's
 * `quarantine/` prefix. Opened by the transform function's main thread (aws-lake.ts) and by each of its range worker
 * threads (range-worker.ts), each with an S3 client and a spool directory of its own.
 */

export interface LakeBuckets {
  rawBucket: string;
  processedBucket: string;
}

export const QUARANTINE_PREFIX = 'quarantine/';

/** @param spoolRoot where Parquet files wait until complete (default: the OS temporary directory, /tmp on Lambda) */
export function openS3Lake(s3: S3Client, buckets: LakeBuckets, spoolRoot = tmpdir()): Lake {
  const spoolDirectory = freshSpoolDirectory(spoolRoot);
  return {
    raw: new S3ObjectStore({ client: s3, bucket: buckets.rawBucket }),
    // Parquet files wait on local disk (/tmp) until complete: memory stays flat however many partitions a file has.
    processed: new S3ObjectStore({ client: s3, bucket: buckets.processedBucket, spoolDirectory }),
    quarantine: new S3ObjectStore({ client: s3, bucket: buckets.processedBucket, prefix: QUARANTINE_PREFIX }),
  };
}

/**
 * An empty directory under /tmp for one lake's spooled files, `glueless-spool-<pid>-<random>`: two lakes opened in one
 * process (a range worker thread's beside the main thread's; a handler loaded from its source and from its bundle, in
 * tests) never share, so opening one cannot remove the other's files. What a dead process left (a run killed by its
 * timeout) is removed at open: in a Lambda environment, which keeps /tmp across invocations and runs one runtime
 * process at a time, every other process's directory; elsewhere (`glueless invoke` on a laptop) only the directories
 * of processes no longer running.
 */
function freshSpoolDirectory(root: string): string {
  const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
  for (const name of readdirSync(root)) {
    const pid = spoolOwner(name);
    if (pid === undefined || pid === process.pid) continue;
    if (inLambda || !isRunning(pid)) rmSync(path.join(root, name), { recursive: true, force: true });
  }
  const directory = path.join(root, `${SPOOL_PREFIX}${process.pid}-${randomUUID().slice(0, 8)}`);
  mkdirSync(directory, { recursive: true });
  return directory;
}

/** The process a spool directory belongs to (`glueless-spool-<pid>` or `glueless-spool-<pid>-<random>`). */
function spoolOwner(name: string): number | undefined {
  const match = SPOOL_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SPOOL_PREFIX = 'glueless-spool-';
const SPOOL_NAME = new RegExp(`^${SPOOL_PREFIX}(\\d+)(?:-[0-9a-f]+)?$`);
