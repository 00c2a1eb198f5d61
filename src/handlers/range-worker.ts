import { S3Client } from '@aws-sdk/client-s3';
import { workerData } from 'node:worker_threads';
import { serveRanges } from '../adapters/threads/serve-ranges.js';
import { DEFAULT_RETRY_POLICY, retryingLake } from '../pipeline/run/retry.js';
import { openS3Lake, type LakeBuckets } from './s3-lake.js';

/**
 * One range worker thread of the transform function (its own entry point in the bundle, range-worker.mjs): reads
 * each range it is sent from the raw bucket (a ranged GET) and writes its Parquet files through a spool directory
 * of its own to the processed bucket, as the function does. S3 SlowDown and 5xx are retried as on the main thread.
 * Its S3 client is not traced: the invocation's X-Ray segment lives on the main thread.
 */
serveRanges(retryingLake(openS3Lake(new S3Client({}), workerData as LakeBuckets), DEFAULT_RETRY_POLICY));
