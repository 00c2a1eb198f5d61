import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, S3Event, S3EventRecord } from 'aws-lambda';
import { checkContractSet } from '../pipeline/schema/datasets.js';
import { GluelessError } from '../pipeline/contract/errors.js';
import { ingestObject } from '../pipeline/run/ingest.js';
import { sourceManifestKey } from '../pipeline/write/layout.js';
import type { RunManifest } from '../pipeline/contract/run-manifest.js';
import { DEFAULT_RETRY_POLICY, retryingCatalog, retryingLake, type RetryPolicy } from '../pipeline/run/retry.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnFanOutStarter } from '../adapters/aws/sfn-fan-out-starter.js';
import type { FanOutStarter } from '../pipeline/run/fan-out-hand-off.js';
import { openAwsLake, type AwsLake } from './aws-lake.js';
import { readConfig, readFanOutConfig, readRangeConfig } from './config.js';
import { transformRanges } from './transform-ranges.js';
import { handOffIfTooBig, type HandedOff } from './hand-off.js';
import { bundledContracts } from './datasets.generated.js';
import { logger, metrics, tracer } from './powertools.js';
import { modelRefreshQueuer } from './model-refreshes.js';

/** The S3 trigger: each raw object created becomes Parquet partitions, registered in Athena, then a notice on SNS. */

export interface TransformSummary {
  processed: Array<{ key: string; dataset: string; rowsWritten: number; rowsQuarantined: number; manifest: string }>;
  /** Refused as a whole and kept in quarantine: a retry cannot help, so these do not fail the invocation. */
  rejected: Array<{ key: string; dataset: string; reason: string; manifest: string }>;
  skipped: Array<{ key: string; reason: string }>;
  /** Too big for one invocation: converted in byte ranges by the fan-out state machine (its own notice follows). */
  handedOff: HandedOff[];
}

/** Some objects of an event failed; the others were processed. Thrown so async retries and the failure destination take over. */
export class TransformFailedError extends GluelessError {}

/** The event S3 sends once when a notification is configured; it names no object. */
type S3TestEvent = { Event: 's3:TestEvent'; Records?: undefined };

const contracts = checkContractSet(bundledContracts);
let cachedAws: AwsLake | undefined;
/** The gold models reading a processed file's table are refreshed by the refresh function, through its queue. */
const queueModelRefreshes = modelRefreshQueuer(contracts);

/** Built on first use, so a bad environment fails the invocation with a one-line error naming the variable. */
function awsLake(): AwsLake {
  return (cachedAws ??= openAwsLake(readConfig()));
}

interface FanOut {
  thresholdBytes: number;
  starter: FanOutStarter;
}
let cachedFanOut: FanOut | null | undefined;

/** The fan-out state machine and its size threshold, read once; null when there is none (or the threshold is 0). */
function fanOut(): FanOut | null {
  if (cachedFanOut === undefined) {
    const config = readFanOutConfig();
    cachedFanOut = config
      ? { thresholdBytes: config.thresholdBytes, starter: new SfnFanOutStarter({ client: tracer.captureAWSv3Client(new SFNClient({})), stateMachineArn: config.stateMachineArn }) }
      : null;
  }
  return cachedFanOut;
}

async function lambdaHandler(event: S3Event | S3TestEvent, context: Context): Promise<TransformSummary> {
  const summary: TransformSummary = { processed: [], rejected: [], skipped: [], handedOff: [] };
  const records = ('Event' in event && event.Event === 's3:TestEvent' ? undefined : event.Records) ?? [];
  const failures: string[] = [];
  for (const record of records) {
    const aws = awsLake();
    // A big plain CSV or JSON-lines object is converted in byte ranges on worker threads when the function has several vCPUs.
    const ranges = transformRanges(readRangeConfig(), aws);
    const key = objectKey(record);
    try {
      if (record.s3.bucket.name !== aws.rawBucket) {
        throw new GluelessError(`event names bucket ${record.s3.bucket.name}, but RAW_BUCKET is ${aws.rawBucket}`);
      }
      const deps = withRetries(aws, context);
      const fanning = fanOut();
      const handedOff = fanning && (await handOffIfTooBig(record, key, { raw: deps.lake.raw, contracts, ...fanning }));
      if (handedOff) {
        logger.info(handedOff.alreadyStarted ? 'object handed off before' : 'object handed off to the fan-out', { ...handedOff });
        summary.handedOff.push(handedOff);
        continue;
      }
      const result = await ingestObject(key, { ...deps, contracts, ...(ranges && { ranges }) });
      if (result.status === 'skipped') {
        logger.info('object skipped', { key, reason: result.reason });
        summary.skipped.push({ key, reason: result.reason });
        continue;
      }
      const { manifest } = result;
      const location = aws.lake.processed.locationOf(sourceManifestKey(manifest.table, key));
      publishRunMetrics(manifest, result.status);
      if (result.status === 'rejected') {
        const rejected = { key, dataset: manifest.dataset, reason: manifest.rejectReason ?? '', manifest: location };
        logger.warn('object rejected', rejected);
        summary.rejected.push(rejected);
        continue;
      }
      const { dataset, rowsRead, rowsWritten, rowsQuarantined } = manifest;
      logger.info('object processed', { key, dataset, rowsRead, rowsWritten, rowsQuarantined, manifest: location });
      summary.processed.push({ key, dataset, rowsWritten, rowsQuarantined, manifest: location });
      await queueModelRefreshes(key, manifest);
    } catch (error) {
      logger.error('object failed', { key, error: error as Error });
      failures.push(`${key} (${(error as Error).message})`);
    }
  }
  metrics.addMetric('FilesSkipped', MetricUnit.Count, summary.skipped.length);
  metrics.addMetric('FilesHandedOff', MetricUnit.Count, summary.handedOff.length);
  metrics.addMetric('FilesFailed', MetricUnit.Count, failures.length);
  if (failures.length > 0) {
    throw new TransformFailedError(`${failures.length} of ${records.length} objects failed: ${failures.join('; ')}`);
  }
  return summary;
}

/** S3 SlowDown / 5xx and Athena throttling are retried with jittered backoff, within the invocation's remaining time. */
function withRetries(aws: AwsLake, context: Context): Pick<AwsLake, 'lake' | 'catalog' | 'notifier'> {
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    remainingMs: () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
    onRetry: (error, attempt, delayMs) => logger.warn('retrying after a transient AWS error', { attempt, delayMs, error: (error as Error).name }),
  };
  return { lake: retryingLake(aws.lake, policy), catalog: retryingCatalog(aws.catalog, policy), notifier: aws.notifier };
}

/** S3 URL-encodes event keys, with `+` for a space. */
function objectKey(record: S3EventRecord): string {
  return decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
}

/** One EMF record per file, so every metric carries the file's dataset as its dimension. */
function publishRunMetrics(manifest: RunManifest, status: 'processed' | 'rejected'): void {
  metrics.addDimension('dataset', manifest.dataset);
  metrics.addMetric(status === 'processed' ? 'FilesProcessed' : 'FilesRejected', MetricUnit.Count, 1);
  metrics.addMetric('RowsRead', MetricUnit.Count, manifest.rowsRead);
  metrics.addMetric('RowsWritten', MetricUnit.Count, manifest.rowsWritten);
  metrics.addMetric('RowsQuarantined', MetricUnit.Count, manifest.rowsQuarantined);
  metrics.addMetric('BytesIn', MetricUnit.Bytes, manifest.bytesIn);
  metrics.addMetric('BytesOut', MetricUnit.Bytes, manifest.bytesOut);
  metrics.addMetric('PartitionsRegistered', MetricUnit.Count, manifest.partitions.length);
  metrics.addMetric('DurationMs', MetricUnit.Milliseconds, manifest.durationMs);
  metrics.publishStoredMetrics();
}

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
