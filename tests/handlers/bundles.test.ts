import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context, SQSEvent } from 'aws-lambda';
import { buildLambda } from '../../scripts/build-lambda.js';

/**
 * The functions' bundles besides the transform's (bench/bundle.ts times that one): each builds as `sam build` would,
 * stays within the 1 MB budget and loads; the refresh function's, which no end-to-end test runs, answers a batch.
 */
let work: string;
/** Each function built once for the tests below. */
const built = new Map<string, ReturnType<typeof buildLambda>>();
const bundleOf = (functionName: string) => {
  if (!built.has(functionName)) built.set(functionName, buildLambda({ functionName, outdir: path.join(work, functionName) }));
  return built.get(functionName)!;
};
const saved: Record<string, string | undefined> = {};
const environment = {
  AWS_REGION: 'us-east-1',
  RAW_BUCKET: 'raw', PROCESSED_BUCKET: 'processed', ATHENA_RESULTS_BUCKET: 'results', GLUE_DATABASE: 'lake',
  ATHENA_WORKGROUP: 'wg', NOTICE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:notices', MODEL_REFRESH_QUEUE_URL: 'http://127.0.0.1:1/queue',
};

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'glueless-bundles-'));
  for (const [name, value] of Object.entries(environment)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await rm(work, { recursive: true, force: true });
});

describe.each([
  ['RefreshFunction', 'refresh.mjs'],
  ['FanOutFunction', 'fan-out.mjs'],
  // Its bundle is run against moto in extract.e2e.test.ts; here for the budget (1,075,661 bytes before MainFields).
  ['ExtractFunction', 'extract.mjs'],
])('the %s bundle', (functionName, file) => {
  it('builds within 1 MB, without the CLI, DuckDB or the contract parser', async () => {
    const bundle = await bundleOf(functionName);
    expect(path.basename(bundle.outfile)).toBe(file);
    expect(bundle.bytes).toBeLessThanOrEqual(1_000_000);
    expect(bundle.inputs.filter((input) => /@duckdb|commander|node_modules\/(zod|yaml)\/|src\/cli\//.test(input))).toEqual([]);
    const loaded = (await import(pathToFileURL(bundle.outfile).href)) as { handler: unknown };
    expect(typeof loaded.handler).toBe('function');
  });
});

it('the refresh bundle answers an empty batch with no failures', async () => {
  const bundle = await bundleOf('RefreshFunction');
  const { handler } = (await import(pathToFileURL(bundle.outfile).href)) as {
    handler: (event: SQSEvent, context: Context) => Promise<unknown>;
  };
  const context = {
    functionName: 'RefreshFunction', functionVersion: '$LATEST', awsRequestId: 'bundle-test', memoryLimitInMB: '512',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:RefreshFunction', getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;
  expect(await handler({ Records: [] }, context)).toEqual({ batchItemFailures: [] });
});
