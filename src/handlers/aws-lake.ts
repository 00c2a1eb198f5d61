import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { SNSClient } from '@aws-sdk/client-sns';
import { AthenaCatalog } from '../adapters/aws/athena-catalog.js';
import { SnsNotifier } from '../adapters/aws/sns-notifier.js';
import type { Catalog, Lake, Notifier } from '../pipeline/contract/ports.js';
import { openS3Lake } from './s3-lake.js';
import type { TransformConfig } from './config.js';
import { tracer } from './powertools.js';

/** The lake on AWS: raw bucket root, processed bucket root, and the processed bucket's `quarantine/` prefix. */
export interface AwsLake {
  /** The bucket S3 events must come from: the raw zone. */
  rawBucket: string;
  /** The bucket of the processed zone and the quarantine (a range worker thread opens them again). */
  processedBucket: string;
  lake: Lake;
  catalog: Catalog;
  notifier: Notifier;
}

/** @param spoolRoot where Parquet files wait until complete (default: the OS temporary directory, /tmp on Lambda) */
export function openAwsLake(config: TransformConfig, spoolRoot = tmpdir()): AwsLake {
  // Region, credentials and AWS_ENDPOINT_URL come from the environment, as the SDK reads them.
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  const athena = tracer.captureAWSv3Client(new AthenaClient({}));
  const sns = tracer.captureAWSv3Client(new SNSClient({}));
  return {
    rawBucket: config.rawBucket,
    processedBucket: config.processedBucket,
    lake: openS3Lake(s3, config, spoolRoot),
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
