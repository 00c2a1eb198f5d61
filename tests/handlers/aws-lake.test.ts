import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAwsLake } from '../../src/handlers/aws-lake.js';

const config = {
  rawBucket: 'raw',
  processedBucket: 'processed',
  athenaResultsBucket: 'results',
  glueDatabase: 'db',
  athenaWorkgroup: 'wg',
  noticeTopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
};

/** Where the processed zone spools Parquet files: a clean directory of this process, with a killed run's files gone. */
describe('openAwsLake spool directory', () => {
  let root: string;
  const saved = { AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME, AWS_REGION: process.env.AWS_REGION };
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'glueless-tmp-'));
    process.env.AWS_REGION ??= 'us-east-1';
    // A run killed by its timeout left a half-written file; an unrelated file sits beside it.
    await mkdir(path.join(root, 'glueless-spool-4242'));
    await writeFile(path.join(root, 'glueless-spool-4242', 'glueless-spool-abc'), 'half a parquet file');
    await writeFile(path.join(root, 'other.txt'), 'not ours');
  });
  afterEach(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(root, { recursive: true, force: true });
  });

  it('on Lambda, removes what an earlier runtime process left and starts empty', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'TransformFunction';
    openAwsLake(config, root);
    expect((await readdir(root)).sort()).toEqual([`glueless-spool-${process.pid}`, 'other.txt']);
    expect(await readdir(path.join(root, `glueless-spool-${process.pid}`))).toEqual([]);
  });

  it('elsewhere, leaves other processes\u2019 spool directories alone', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    openAwsLake(config, root);
    expect(existsSync(path.join(root, 'glueless-spool-4242', 'glueless-spool-abc'))).toBe(true);
    expect(existsSync(path.join(root, `glueless-spool-${process.pid}`))).toBe(true);
  });
});
