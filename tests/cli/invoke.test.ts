import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { CreateWorkGroupCommand, AthenaClient } from '@aws-sdk/client-athena';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { invokeFunction } from '../../src/cli/commands/invoke.js';
import type { RunManifest } from '../../src/pipeline/contract/run-manifest.js';
import { useMoto } from '../support/moto.js';
import { GLUELESS_BIN } from '../support/cli.js';

/** `glueless invoke`: `sam local invoke` without Docker, against moto. Names match events/ and events/env.json. */

const exec = promisify(execFile);
const EVENT = 'events/s3-put-sales-orders.json';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:glueless-notices';
/** What the template leaves to the deployment (!Ref, !Sub), as a shell would export it. */
const DEPLOYMENT_ENV = {
  RAW_BUCKET: 'glueless-raw',
  MODEL_REFRESH_QUEUE_URL: 'none',
  FANOUT_STATE_MACHINE_ARN: 'none',
  PROCESSED_BUCKET: 'glueless-processed',
  ATHENA_RESULTS_BUCKET: 'glueless-athena-results',
  GLUE_DATABASE: 'glueless',
  ATHENA_WORKGROUP: 'primary',
  NOTICE_TOPIC_ARN: TOPIC_ARN,
};

const moto = useMoto();
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'glueless-invoke-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  await moto.reset();
  const s3 = new S3Client({});
  for (const bucket of ['glueless-raw', 'glueless-processed', 'glueless-athena-results']) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  await s3.send(
    new PutObjectCommand({ Bucket: 'glueless-raw', Key: 'sales/orders/sales_orders.csv', Body: await readFile('samples/sales_orders.csv') }),
  );
  const athena = new AthenaClient({});
  await athena.send(new CreateWorkGroupCommand({ Name: 'primary' })).catch(() => {}); // moto may already have it
  const sns = new SNSClient({});
  expect((await sns.send(new CreateTopicCommand({ Name: 'glueless-notices' }))).TopicArn).toBe(TOPIC_ARN);
  for (const client of [s3, athena, sns]) client.destroy();
});

describe('glueless invoke', () => {
  it('runs the template handler in-process with --env-vars, printing its result and the manifest', async () => {
    const envVars = JSON.parse(await readFile('events/env.json', 'utf8'));
    envVars.TransformFunction.AWS_ENDPOINT_URL = moto.endpoint;
    const envFile = path.join(work, 'env.json');
    await writeFile(envFile, JSON.stringify(envVars));
    const lines: string[] = [];

    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true); // Powertools logs go there
    const { result, manifests } = await invokeFunction(
      EVENT,
      { function: 'TransformFunction', template: 'template.yaml', envVars: envFile },
      (text) => lines.push(text),
    ).finally(() => stderr.mockRestore());

    expect(result).toMatchObject({ processed: [{ key: 'sales/orders/sales_orders.csv', rowsWritten: 2997, rowsQuarantined: 3 }] });
    expect(manifests).toHaveLength(1);
    expect(manifests[0]).toMatchObject({ dataset: 'sales_orders', rowsRead: 3000, rowsWritten: 2997 });
    expect(lines.join('\n')).toContain('manifest s3://glueless-processed/manifests/sales_orders/sales_orders-');
    expect(process.env.RAW_BUCKET).toBeUndefined(); // the environment is put back
  });

  it('tells which function the template has when asked for another', async () => {
    await expect(invokeFunction(EVENT, { function: 'Nope', template: 'template.yaml' }, () => {})).rejects.toThrow(
      /has no function Nope \(functions: TransformFunction(, \w+Function)*\)/,
    );
  });

  it('from the command line, takes what the template leaves to the deployment from the environment', async () => {
    const { stdout, stderr } = await gluelessInvoke([EVENT], { ...DEPLOYMENT_ENV, AWS_ENDPOINT_URL: moto.endpoint });
    const manifest = stdout.slice(stdout.indexOf('manifest s3://glueless-processed/'));
    const json = JSON.parse(manifest.slice(manifest.indexOf('\n') + 1)) as RunManifest;
    expect(json).toMatchObject({ dataset: 'sales_orders', source: 'sales/orders/sales_orders.csv', rowsWritten: 2997 });
    // stdout is the result and the manifest alone: it parses as JSON up to the manifest line.
    expect(JSON.parse(stdout.slice(0, stdout.indexOf('manifest s3://')))).toMatchObject({ processed: [{ rowsWritten: 2997 }] });
    // The handler's logs and metrics are on stderr. Powertools settings come from the template: literal service name,
    // namespace from the parameter's Default.
    expect(stderr).toMatch(/"Namespace":"Glueless".*"RowsWritten":2997|"RowsWritten":2997.*"Namespace":"Glueless"/);
    expect(stderr).not.toMatch(/NodeVersionSupportWarning/);
  });

  it('from the command line, fails in one line naming a variable the template cannot supply', async () => {
    const { RAW_BUCKET: _, ...withoutRaw } = DEPLOYMENT_ENV;
    await expect(gluelessInvoke([EVENT], { ...withoutRaw, AWS_ENDPOINT_URL: moto.endpoint })).rejects.toMatchObject({
      stderr: 'glueless: TransformFunction: RAW_BUCKET is not set (the template leaves it to the deployment): pass --env-vars events/env.json, or export it\n',
    });
    await expect(gluelessInvoke([EVENT], { AWS_ENDPOINT_URL: moto.endpoint })).rejects.toMatchObject({
      stderr: expect.stringMatching(/^glueless: TransformFunction: RAW_BUCKET, PROCESSED_BUCKET, .* are not set \(the template leaves them to the deployment\): pass --env-vars events\/env\.json, or export them\n$/),
    });
  });
});

/** `glueless invoke …` as a user types it: the installed CLI. */
async function gluelessInvoke(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in DEPLOYMENT_ENV)));
  return exec(process.execPath, [GLUELESS_BIN, 'invoke', ...args], { env: { ...clean, ...env }, maxBuffer: 64 * 1024 * 1024 });
}
