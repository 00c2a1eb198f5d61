import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context, S3Event } from 'aws-lambda';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { backfill } from '../../src/cli/commands/backfill.js';
import { buildLambda } from '../../scripts/build-lambda.js';
import type { ExtractSummary } from '../../src/handlers/extract.js';
import type { TransformSummary } from '../../src/handlers/transform.js';
import { useMoto } from '../support/moto.js';
import { capturingStdout, emfRecords } from '../support/lambda-output.js';
import { startFakeApi, tfnswHandler, TFNSW_KEY, type FakeApi } from '../support/fake-apis.js';

/**
 * ExtractFunction end to end against moto: invoked as EventBridge Scheduler invokes it (the schedule's Input as the
 * event), it reads the API key from SSM (SecureString), pulls the source's scheduled windows from a server answering
 * like TfNSW, and writes the raw objects; TransformFunction, given the S3 event those objects raise, converts them.
 * Runs from source and from the esbuild bundle SAM would deploy.
 */

const RAW = 'extract-e2e-raw';
const PROCESSED = 'extract-e2e-processed';
const RESULTS = 'extract-e2e-results';
type Handler<T> = (event: unknown, context: Context) => Promise<T>;

const moto = useMoto();
let api: FakeApi;
let s3: S3Client;
let work: string;
let restoreEnv: () => void;

beforeAll(async () => {
  api = await startFakeApi(tfnswHandler());
  s3 = new S3Client({});
  work = await mkdtemp(path.join(tmpdir(), 'glueless-extract-e2e-'));
  restoreEnv = setEnv({
    RAW_BUCKET: RAW,
    PROCESSED_BUCKET: PROCESSED,
    ATHENA_RESULTS_BUCKET: RESULTS,
    GLUE_DATABASE: 'extract_e2e',
    ATHENA_WORKGROUP: 'extract-e2e',
    NOTICE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:extract-e2e',
    EXTRACT_BASE_URL: api.url,
    POWERTOOLS_SERVICE_NAME: 'glueless-extract',
    POWERTOOLS_METRICS_NAMESPACE: 'GluelessE2E',
    POWERTOOLS_DEV: undefined,
  });
});

afterAll(async () => {
  s3?.destroy();
  restoreEnv?.();
  await api?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  await moto.reset();
  api.requests.length = 0;
  for (const bucket of [RAW, PROCESSED, RESULTS]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const athena = new AthenaClient({});
  await athena.send(new CreateWorkGroupCommand({ Name: 'extract-e2e' }));
  athena.destroy();
  const sns = new SNSClient({});
  await sns.send(new CreateTopicCommand({ Name: 'extract-e2e' }));
  sns.destroy();
  const ssm = new SSMClient({});
  await ssm.send(new PutParameterCommand({ Name: '/glueless/tfnsw/api-key', Type: 'SecureString', Value: TFNSW_KEY }));
  ssm.destroy();
});

describe.each([
  ['source', async () => importHandler<ExtractSummary>(path.resolve('src/handlers/extract.ts'))],
  ['the esbuild bundle', async () => {
    const bundle = await buildLambda({ functionName: 'ExtractFunction', outdir: path.join(work, 'bundle') });
    expect(path.basename(bundle.outfile)).toBe('extract.mjs');
    const unwanted = bundle.inputs.filter((file) => /@duckdb|commander|node_modules\/(zod|yaml)\/|src\/cli\/|src\/adapters\/local\//.test(file));
    expect(unwanted).toEqual([]);
    return importHandler<ExtractSummary>(bundle.outfile);
  }],
])('extract handler from %s', (_from, load) => {
  let extract: Handler<ExtractSummary>;
  beforeAll(async () => {
    extract = await load();
  });

  it("lands the schedule's windows in the raw bucket, and the transform converts them", async () => {
    // EventBridge Scheduler passes the schedule's Input, as template.yaml sets it, as the event.
    const { result, stdout } = await capturingStdout(() => extract({ source: 'traffic_hourly' }, lambdaContext('ExtractFunction')));
    expect(result.windows.map((w) => w.outcome)).toEqual(Array(6).fill('landed')); // 3 stations × (last month, the one before)
    expect(api.requests.every((r) => r.headers.authorization === `apikey ${TFNSW_KEY}`)).toBe(true);
    const keys = await keysUnder(RAW, 'traffic/hourly/');
    expect(keys).toEqual(result.windows.map((w) => w.key).sort());
    expect(keys[0]).toMatch(/^traffic\/hourly\/year=\d{4}\/month=\d{2}\/station_key=\d+\/traffic_hourly_\d+_\d{4}-\d{2}\.csv$/);
    expect(stdout).not.toContain(TFNSW_KEY);
    const emf = emfRecords(stdout).find((r) => r.WindowsFetched !== undefined)!;
    expect(emf).toMatchObject({ source: 'traffic_hourly', WindowsFetched: 6, WindowsSkipped: 0, WindowsEmpty: 0, WindowsFailed: 0, ApiRequests: 6 });
    expect(emf.Records).toBe(result.windows.reduce((sum, w) => sum + w.records, 0));

    const transform = await importHandler<TransformSummary>(path.resolve('src/handlers/transform.ts'));
    const converted = await capturingStdout(() => transform(s3Event(keys[0]!), lambdaContext('TransformFunction')));
    expect(converted.error).toBeUndefined();
    expect(converted.result.processed).toEqual([expect.objectContaining({ key: keys[0], dataset: 'traffic_hourly', rowsQuarantined: 0 })]);
    expect(converted.result.processed[0]!.rowsWritten).toBe(result.windows.find((w) => w.key === keys[0])!.records);
    expect((await keysUnder(PROCESSED, 'tables/traffic_hourly/')).length).toBeGreaterThanOrEqual(28);

    // The schedule firing twice: the raw objects that exist are the state, nothing is asked again.
    api.requests.length = 0;
    const again = await capturingStdout(() => extract({ source: 'traffic_hourly' }, lambdaContext('ExtractFunction')));
    expect(again.result.windows.map((w) => w.outcome)).toEqual(Array(6).fill('skipped'));
    expect(api.requests).toHaveLength(0);
  });

  it('fails the invocation, for the failure destination, when a window fails; a backfill event names its range', async () => {
    api.fault({ kind: 'status', status: 401, body: '{"ErrorDetails":{"Message":"The request is unauthorised"}}' });
    const { error } = await capturingStdout(() => extract({ source: 'traffic_hourly', from: '2024-01', to: '2024-01' }, lambdaContext('ExtractFunction')));
    expect((error as Error).message).toMatch(/^1 of 3 windows failed: traffic_hourly 2024-01 station_key=4024: GET .*: HTTP 401: The request is unauthorised$/);
    expect((await keysUnder(RAW, 'traffic/hourly/')).length).toBe(2);
    const unknown = await capturingStdout(() => extract({ source: 'nope' }, lambdaContext('ExtractFunction')));
    expect((unknown.error as Error).message).toMatch(/^unknown source "nope" \(known: .*traffic_hourly/);
  });
});

/**
 * `glueless backfill` against the Lambda Invoke API: a server on 127.0.0.1 speaking that API runs the real handler
 * in-process (moto cannot run functions without Docker), so the command's invocations, error payloads and summary are
 * exercised for real.
 */
describe('glueless backfill', () => {
  let lambda: LambdaClient;
  let stop: () => Promise<void>;
  const invoked: unknown[] = [];
  beforeAll(async () => {
    const extract = await importHandler<ExtractSummary>(path.resolve('src/handlers/extract.ts'));
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      invoked.push({ path: req.url, event });
      const { result, error } = await capturingStdout(() => extract(event, lambdaContext('ExtractFunction')));
      if (error) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        res.end(JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    lambda = new LambdaClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    stop = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    lambda?.destroy();
    await stop?.();
  });

  it('invokes the function once per window, summarises the failures, and a second run fills only what failed', async () => {
    const contracts = await loadContractDirectory('datasets');
    const options = { from: '2024-01', to: '2024-04', function: 'glueless-ExtractFunction', concurrency: 2, sources: 'sources' };
    api.fault({ kind: 'status', status: 401, body: '{"ErrorDetails":{"Message":"The request is unauthorised"}}' }, { match: '%3E%3D+%272024-03-01' });
    const lines: string[] = [];
    await expect(backfill('traffic_hourly', options, { contracts, lambda }, (l) => lines.push(l))).rejects.toThrow(/^1 of 4 windows failed/);
    expect(invoked).toHaveLength(4);
    expect(invoked).toContainEqual({ path: '/2015-03-31/functions/glueless-ExtractFunction/invocations', event: { source: 'traffic_hourly', date: '2024-01', force: false } });
    expect(lines[0]).toMatch(/^traffic_hourly: 4 windows invoked on glueless-ExtractFunction \(2024-01 … 2024-04\): 1 failed, 9 landed$/);
    expect(lines[1]).toMatch(/^  failed: 2024-03: 1 of 3 windows failed: traffic_hourly 2024-03 station_key=4024: .*HTTP 401: The request is unauthorised$/);

    api.requests.length = 0;
    lines.length = 0;
    const second = await backfill('traffic_hourly', options, { contracts, lambda }, (l) => lines.push(l));
    expect(second.outcomes).toEqual({ landed: 1, skipped: 11 });
    expect(api.requests).toHaveLength(1);
    expect(await keysUnder(RAW, 'traffic/hourly/')).toHaveLength(12);
  });
});

async function importHandler<T>(file: string): Promise<Handler<T>> {
  return ((await import(pathToFileURL(file).href)) as { handler: Handler<T> }).handler;
}

function s3Event(key: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: RAW, arn: `arn:aws:s3:::${RAW}` }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/') } },
      },
    ],
  } as unknown as S3Event;
}

function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true, functionName, functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`, memoryLimitInMB: '512',
    awsRequestId: 'e2e-request', logGroupName: `/aws/lambda/${functionName}`, logStreamName: 'e2e',
    getRemainingTimeInMillis: () => 300_000, done: () => {}, fail: () => {}, succeed: () => {},
  };
}

function setEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  return () => apply(previous);
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

