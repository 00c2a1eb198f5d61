/**
 * `npm run bench:transform-workers [-- --rows 1000000 --workers 1,2 --rounds 1]`: the transform handler's bundle (as
 * sam build makes it) converting one generated sales-orders CSV from moto S3, once per worker count (RANGE_WORKERS),
 * timed from the event to the handler's return, with the lake's row count. moto_server stands in for S3 and Athena:
 * its I/O is part of every figure, so they compare the worker counts with each other, not with Lambda.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, S3Event } from 'aws-lambda';
import { buildLambda } from '../scripts/build-lambda.js';
import { writeSalesOrdersCsv } from '../scripts/sales-orders-csv.js';
import { startMoto, useMotoEnv } from '../tests/support/moto.js';

const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
};
const rows = Number(arg('rows', '1000000'));
const workerCounts = arg('workers', '1,2').split(',').map(Number);
const rounds = Number(arg('rounds', '1'));
const dataDir = path.resolve('bench/.data');
const KEY = 'sales/orders/bench_orders.csv';

await mkdir(dataDir, { recursive: true });
const csv = path.join(dataDir, `transform-workers-${rows}.csv`);
await writeSalesOrdersCsv(csv, { rows, days: 30 });
const body = await readFile(csv);

const moto = await startMoto();
const restoreEnv = useMotoEnv(moto.endpoint);
Object.assign(process.env, {
  RAW_BUCKET: 'bench-raw',
  PROCESSED_BUCKET: 'bench-processed',
  ATHENA_RESULTS_BUCKET: 'bench-results',
  GLUE_DATABASE: 'bench',
  ATHENA_WORKGROUP: 'bench',
  NOTICE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench-notices',
  FANOUT_STATE_MACHINE_ARN: 'none',
  POWERTOOLS_SERVICE_NAME: 'glueless',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});
const s3 = new S3Client({});
try {
  for (const bucket of ['bench-raw', 'bench-processed', 'bench-results']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await new AthenaClient({}).send(new CreateWorkGroupCommand({ Name: 'bench' }));
  await new SNSClient({}).send(new CreateTopicCommand({ Name: 'bench-notices' }));
  await s3.send(new PutObjectCommand({ Bucket: 'bench-raw', Key: KEY, Body: body, ContentLength: body.byteLength }));
  const bundle = await buildLambda({ outdir: path.join(dataDir, 'lambda') });
  const { handler } = (await import(pathToFileURL(bundle.outfile).href)) as { handler: (event: S3Event, context: Context) => Promise<{ processed: Array<{ rowsWritten: number }> }> };

  console.log(`${(body.byteLength / 1024 / 1024).toFixed(0)} MiB, ${rows.toLocaleString('en')} rows, moto S3`);
  console.log('| workers | seconds | rows written | Parquet files |');
  console.log('|---:|---:|---:|---:|');
  for (let round = 0; round < rounds; round++) {
    for (const workers of workerCounts) {
      process.env.RANGE_WORKERS = String(workers);
      const started = performance.now();
      const summary = await quietly(() => handler(s3Event(), context()));
      const seconds = (performance.now() - started) / 1000;
      const files = (await keys('tables/')).length;
      console.log(`| ${workers} | ${seconds.toFixed(1)} | ${summary.processed[0]?.rowsWritten.toLocaleString('en') ?? 'failed'} | ${files} |`);
      const all = await keys('');
      if (all.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: 'bench-processed', Delete: { Objects: all.map((Key) => ({ Key })) } }));
    }
  }
} finally {
  s3.destroy();
  restoreEnv();
  await moto.stop();
}

async function keys(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: 'bench-processed', Prefix: prefix, ContinuationToken: token }));
    found.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return found;
}

/** The handler's EMF metrics go to stdout: kept off the table. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

function s3Event(): S3Event {
  return { Records: [{ eventSource: 'aws:s3', awsRegion: 'us-east-1', s3: { bucket: { name: 'bench-raw' }, object: { key: KEY } } }] } as unknown as S3Event;
}

function context(): Context {
  return { functionName: 'TransformFunction', awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
}
