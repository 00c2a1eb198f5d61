import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { AthenaCatalog } from '../adapters/aws/athena-catalog.js';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import { SnsNotifier } from '../adapters/aws/sns-notifier.js';
import type { Catalog, Lake, Notifier } from '../pipeline/contract/ports.js';
import type { TransformConfig } from './config.js';
import { tracer } from './powertools.js';

/** The lake on AWS: raw bucket root, processed bucket root, and the processed bucket's `quarantine/` prefix. */
export interface AwsLake {
  /** The bucket S3 events must come from: the raw zone. */
  rawBucket: string;
  lake: Lake;
  catalog: Catalog;
  notifier: Notifier;
}

export const QUARANTINE_PREFIX = 'quarantine/';

/** @param spoolRoot where Parquet files wait until complete (default: the OS temporary directory, /tmp on Lambda) */
export function openAwsLake(config: TransformConfig, spoolRoot = tmpdir()): AwsLake {
  // Region, credentials and AWS_ENDPOINT_URL come from the environment, as the SDK reads them.
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  const athena = tracer.captureAWSv3Client(new AthenaClient({}));
  const sns = tracer.captureAWSv3Client(new SNSClient({}));
  const spoolDirectory = freshSpoolDirectory(spoolRoot);
  return {
    rawBucket: config.rawBucket,
    lake: {
      raw: new S3ObjectStore({ client: s3, bucket: config.rawBucket }),
      // Parquet files wait on local disk (/tmp) until complete: memory stays flat however many partitions a file has.
      processed: new S3ObjectStore({ client: s3, bucket: config.processedBucket, spoolDirectory }),
      quarantine: new S3ObjectStore({ client: s3, bucket: config.processedBucket, prefix: QUARANTINE_PREFIX }),
    },
    catalog: new AthenaCatalog({
      client: athena,
      workgroup: config.athenaWorkgroup,
      database: config.glueDatabase,
      // The template's workgroup enforces this same location; it matters only for a workgroup that does not.
      outputLocation: `s3://${config.athenaResultsBucket}/athena/`,
    }),
    notifier: new SnsNotifier({ client: sns, topicArn: config.noticeTopicArn }),
  };
}

/**
 * An empty directory under /tmp for one lake's spooled files, `glueless-spool-<pid>-<random>`: two lakes opened in one
 * process (a handler loaded from its source and from its bundle, in tests) never share, so opening one cannot remove
 * the other's files. What a dead process left (a run killed by its timeout) is removed at open: in a Lambda
 * environment, which keeps /tmp across invocations and runs one runtime process at a time, every earlier directory;
 * elsewhere (`glueless invoke` on a laptop) only the directories of processes no longer running.
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
