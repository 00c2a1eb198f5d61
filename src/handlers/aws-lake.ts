import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
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
 * An empty directory under /tmp for this process's spooled files. A Lambda environment keeps /tmp across invocations,
 * and only one runtime process uses it at a time: there, whatever an earlier process left (a run killed by its
 * timeout) is removed at start. Elsewhere (`glueless invoke` on a laptop) only this process's own directory is.
 */
function freshSpoolDirectory(root: string): string {
  const directory = path.join(root, `${SPOOL_PREFIX}${process.pid}`);
  const stale = process.env.AWS_LAMBDA_FUNCTION_NAME
    ? readdirSync(root).filter((name) => name.startsWith(SPOOL_PREFIX)).map((name) => path.join(root, name))
    : [directory];
  for (const leftover of stale) rmSync(leftover, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  return directory;
}

const SPOOL_PREFIX = 'glueless-spool-';
