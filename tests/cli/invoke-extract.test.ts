import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { invokeFunction } from '../../src/cli/commands/invoke.js';
import type { ExtractSummary } from '../../src/handlers/extract.js';
import { startFakeApi, tfnswHandler, TFNSW_KEY } from '../support/fake-apis.js';
import { useMoto } from '../support/moto.js';

/** `glueless invoke events/schedule-traffic-hourly.json --function ExtractFunction`: the scheduled event, in-process. */
const moto = useMoto();

it('runs ExtractFunction on the schedule event of events/ with the environment of events/env.json', async () => {
  const api = await startFakeApi(tfnswHandler());
  const work = await mkdtemp(path.join(tmpdir(), 'glueless-invoke-extract-'));
  const s3 = new S3Client({});
  const ssm = new SSMClient({});
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'glueless-raw' }));
    await ssm.send(new PutParameterCommand({ Name: '/glueless/tfnsw/api-key', Type: 'SecureString', Value: TFNSW_KEY }));
    const env = JSON.parse(await readFile('events/env.json', 'utf8'));
    env.ExtractFunction = { ...env.ExtractFunction, AWS_ENDPOINT_URL: moto.endpoint, EXTRACT_BASE_URL: api.url };
    await writeFile(path.join(work, 'env.json'), JSON.stringify(env));
    const silence = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const printed: string[] = [];
    let outcome;
    try {
      outcome = await invokeFunction(
        'events/schedule-traffic-hourly.json',
        { function: 'ExtractFunction', template: 'template.yaml', envVars: path.join(work, 'env.json') },
        (text) => printed.push(text),
      );
    } finally {
      silence.mockRestore();
    }
    const summary = outcome.result as ExtractSummary;
    expect(summary.source).toBe('traffic_hourly');
    expect(summary.windows.map((w) => w.outcome)).toEqual(Array(6).fill('landed'));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'glueless-raw', Prefix: 'traffic/hourly/' }));
    expect(listed.Contents).toHaveLength(6);
    expect(printed.join('\n')).not.toContain(TFNSW_KEY);
  } finally {
    s3.destroy();
    ssm.destroy();
    await api.stop();
    await rm(work, { recursive: true, force: true });
  }
});
