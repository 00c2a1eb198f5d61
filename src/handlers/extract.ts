import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { FetchHttpClient } from '../adapters/http/fetch-http-client.js';
import { ParameterSecretStore } from '../adapters/aws/parameter-secret-store.js';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import { extractWindows, failureOf, type WindowResult } from '../extract/extract.js';
import { bindSources, findSource } from '../extract/sources.js';
import { windowsFor, type WindowRequest } from '../extract/window-selection.js';
import { checkContractSet } from '../pipeline/schema/datasets.js';
import { ConfigError } from './config.js';
import { bundledContracts } from './datasets.generated.js';
import { bundledSources } from './sources.generated.js';
import { logger, metrics, tracer } from './powertools.js';

/**
 * The scheduled pull: EventBridge Scheduler invokes it with `{ "source": "<name>" }` (the windows its schedule covers);
 * `glueless backfill` with `{ "source", "date" }` or `{ "source", "from", "to", "force" }`. Each window lands whole in
 * the raw bucket, where the object triggers the transform like an upload.
 */

export interface ExtractEvent extends WindowRequest {
  source: string;
  force?: boolean;
}

export interface ExtractSummary {
  source: string;
  windows: Array<Pick<WindowResult, 'window' | 'item' | 'key' | 'outcome' | 'records' | 'bytes' | 'error'>>;
}

const sources = bindSources(bundledSources, checkContractSet(bundledContracts));
const http = new FetchHttpClient();
let cached: { raw: S3ObjectStore; secrets: ParameterSecretStore } | undefined;

function aws() {
  if (cached) return cached;
  const bucket = process.env.RAW_BUCKET?.trim();
  if (!bucket) throw new ConfigError('extract function environment: RAW_BUCKET is not set');
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  const secrets = new ParameterSecretStore({
    ssm: tracer.captureAWSv3Client(new SSMClient({})),
    secretsManager: tracer.captureAWSv3Client(new SecretsManagerClient({})),
  });
  return (cached = { raw: new S3ObjectStore({ client: s3, bucket }), secrets });
}

async function lambdaHandler(event: ExtractEvent, context: Context): Promise<ExtractSummary> {
  const { source, contract } = findSource(sources, String(event?.source ?? ''));
  const windows = windowsFor(source.window, event, Date.now());
  const { raw, secrets } = aws();
  metrics.addDimension('source', source.name);
  const { results, stats } = await extractWindows(source, windows, {
    http,
    secrets,
    raw,
    prefix: contract.prefix,
    force: event.force === true,
    // Set by whoever deploys (a mirror, `glueless invoke` against a test server), never by the event: an invoker must
    // not be able to send the API key to a host of its choosing.
    baseUrl: process.env.EXTRACT_BASE_URL?.trim() || undefined,
    remainingMs: () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
    onRetry: (retry) => logger.warn('retrying a request', retry),
    onWindow: (result) => {
      const level = result.outcome === 'failed' ? 'error' : 'info';
      logger[level](`window ${result.outcome}`, { ...result });
    },
  });
  const count = (...outcomes: WindowResult['outcome'][]) => results.filter((r) => outcomes.includes(r.outcome)).length;
  metrics.addMetric('WindowsFetched', MetricUnit.Count, count('landed', 'replaced'));
  metrics.addMetric('WindowsSkipped', MetricUnit.Count, count('skipped', 'unchanged'));
  metrics.addMetric('WindowsEmpty', MetricUnit.Count, count('empty'));
  metrics.addMetric('WindowsFailed', MetricUnit.Count, count('failed'));
  metrics.addMetric('Records', MetricUnit.Count, results.reduce((sum, r) => sum + r.records, 0));
  metrics.addMetric('BytesLanded', MetricUnit.Bytes, results.reduce((sum, r) => sum + r.bytes, 0));
  metrics.addMetric('ApiRequests', MetricUnit.Count, stats.requests);
  // An EMF record holds at most 100 values of a metric.
  for (const latency of stats.latencyMs.slice(0, 100)) metrics.addMetric('ApiLatency', MetricUnit.Milliseconds, latency);
  const failure = failureOf(results);
  if (failure) throw failure;
  return {
    source: source.name,
    windows: results.map(({ window, item, key, outcome, records, bytes, error }) => ({ window, item, key, outcome, records, bytes, error })),
  };
}

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
