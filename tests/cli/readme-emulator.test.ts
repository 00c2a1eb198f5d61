import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { useMoto } from '../support/moto.js';

const exec = promisify(execFile);

/**
 * README's "Run against a local AWS emulator" block, run as written in a shell without any AWS settings of its own:
 * moto on a random port (this test starts it; the block's `moto_server … &` line is the one left out) and every other
 * line with that port for 5000.
 */
describe("README's emulator walkthrough", () => {
  const moto = useMoto();

  it('runs as written: the AWS CLI finds its region, and invoke processes the sample against the emulator', async () => {
    const readme = await readFile('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Run against a local AWS emulator'));
    const block = /```bash\n([\s\S]*?)```/.exec(section)![1]!;
    const lines = block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('moto_server'));
    expect(lines.some((line) => line.includes('npx glueless invoke'))).toBe(true);
    const script = ['set -e', ...lines.map((line) => line.replace(/127\.0\.0\.1:5000/g, `127.0.0.1:${moto.port}`))].join('\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^AWS_/.test(name)));
    const { stdout, stderr } = await exec('bash', ['-c', script], { env, maxBuffer: 64 * 1024 * 1024 });
    expect(stderr).not.toMatch(/You must specify a region/);
    expect(stdout).toMatch(/"rowsWritten": 2997/);
    expect(stdout).toContain('manifest s3://glueless-processed/manifests/sales_orders/sales_orders-');
    expect(stdout).not.toMatch(/"Namespace"/); // the handler's metrics are on stderr
  });
});
