import { spawnSync } from 'node:child_process';
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

  const ownDirectories = async () => (await readdir(root)).filter((name) => name.startsWith(`glueless-spool-${process.pid}-`));

  it('on Lambda, removes what an earlier runtime process left and starts empty', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'TransformFunction';
    openAwsLake(config, root);
    const own = await ownDirectories();
    expect(own).toHaveLength(1);
    expect((await readdir(root)).sort()).toEqual([own[0], 'other.txt']);
    expect(await readdir(path.join(root, own[0]!))).toEqual([]);
  });

  it('elsewhere, removes only what a process no longer running left', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await mkdir(path.join(root, `glueless-spool-${dead}`));
    await mkdir(path.join(root, `glueless-spool-${process.ppid}-0123abcd`));
    await writeFile(path.join(root, `glueless-spool-${process.ppid}-0123abcd`, 'glueless-spool-x'), 'in use');
    openAwsLake(config, root);
    expect(existsSync(path.join(root, `glueless-spool-${dead}`))).toBe(false);
    expect(existsSync(path.join(root, `glueless-spool-${process.ppid}-0123abcd`, 'glueless-spool-x'))).toBe(true);
    expect(await ownDirectories()).toHaveLength(1);
  });

  it('two lakes opened in one process spool apart: opening the second keeps the first one\u2019s files', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    openAwsLake(config, root);
    const [first] = await ownDirectories();
    await writeFile(path.join(root, first!, 'glueless-spool-open'), 'a file being spooled');
    openAwsLake(config, root);
    const own = await ownDirectories();
    expect(own).toHaveLength(2);
    expect(existsSync(path.join(root, first!, 'glueless-spool-open'))).toBe(true);
  });
});
