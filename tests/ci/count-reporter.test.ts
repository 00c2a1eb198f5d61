import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The closing line `.ci/run` prints comes from tests/support/count-reporter.cjs: passed, failed and skipped. */
describe('the count reporter', () => {
  let work: string;
  beforeAll(async () => (work = await mkdtemp(path.join(tmpdir(), 'glueless-counts-'))));
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('ends with "N passed, N failed, N skipped" and leaves the three counts for .ci/run', async () => {
    await writeFile(
      path.join(work, 'a.test.cjs'),
      "test('passes', () => {}); test('fails', () => { throw new Error('no'); }); test.skip('skipped', () => {}); test.todo('later');\n",
    );
    await writeFile(
      path.join(work, 'jest.config.cjs'),
      `module.exports = { rootDir: ${JSON.stringify(work)}, testMatch: ['**/*.test.cjs'], reporters: [${JSON.stringify(path.resolve('tests/support/count-reporter.cjs'))}] };\n`,
    );
    const run = await exec(process.execPath, [path.resolve('node_modules/jest/bin/jest.js'), '--config', path.join(work, 'jest.config.cjs')], { cwd: work }).catch(
      (error: { stdout: string }) => error,
    );
    expect(run.stdout.trimEnd().split('\n').pop()).toBe('1 passed, 1 failed, 2 skipped');
    expect(await readFile(path.join(work, '.ci', '.counts'), 'utf8')).toBe('1 1 2\n');
  });
});
