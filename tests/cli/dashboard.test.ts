import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** `glueless dashboard` as a user runs it: after an ingest, --out writes the page and the chart library beside it. */

const exec = promisify(execFile);

async function glueless(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [path.resolve('bin/glueless.js'), ...args], { env: { ...process.env, GLUELESS_LAKE: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('glueless dashboard', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-dashboard-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('--out after an ingest writes index.html with the models it built and echarts.min.js beside it, naming the rest', async () => {
    const lake = path.join(work, 'lake');
    const site = path.join(work, 'site');
    expect((await glueless(['--lake', lake, 'ingest', 'samples/sales_orders.csv'])).code).toBe(0);
    const result = await glueless(['--lake', lake, 'dashboard', '--out', site]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${path.join(site, 'index.html')} and echarts.min.js`);
    // ingest refreshed the models over sales_orders; the market, weather and traffic models have no input yet.
    expect(result.stdout).toMatch(/not in the lake yet: .*stock_indicators/);
    expect(result.stdout).not.toMatch(/not in the lake yet: .*daily_revenue/);
    expect(result.stdout).toContain(`open file://${site}/index.html`);
    const page = await readFile(path.join(site, 'index.html'), 'utf8');
    expect(page).toContain('"dailyRevenue":{"status":"ok","columns":["order_date","orders","units","revenue"]');
    expect(page).toContain('"stockIndicators":{"status":"missing","model":"stock_indicators"}');
    expect((await stat(path.join(site, 'echarts.min.js'))).size).toBeGreaterThan(500_000);
  }, 120_000);

  it('refuses a port that is not one, saying so first', async () => {
    const result = await glueless(['--lake', path.join(work, 'lake'), 'dashboard', '--serve', '--port', 'eighty']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.split('\n')[0]).toMatch(/--port.*'eighty' is invalid\. a port number/);
  }, 60_000);
});
