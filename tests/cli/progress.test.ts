import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { FailedEventFolder, LOCAL_RAW_BUCKET } from '../../src/adapters/local/failed-event-folder.js';
import { openLocalLake } from '../../src/adapters/local/local-lake.js';
import { createProgress } from '../../src/cli/progress.js';
import { failureRecordFor } from '../../src/pipeline/run/failed-events.js';
import { writeSalesOrdersCsv } from '../../scripts/sales-orders-csv.js';
import { GLUELESS_BIN, glueless } from '../support/cli.js';

const exec = promisify(execFile);

/** A terminal stand-in: what a bar writes, as a TTY of 120 columns would receive it. */
function terminal(): PassThrough & { isTTY: boolean; columns: number; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, text: (): string => '' });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  stream.text = () => chunks.join('');
  return stream;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('progress bars (src/cli/progress.ts)', () => {
  it('on a terminal: label, share, bytes, rows/s and ETA, redrawn in place; result lines above the bars', async () => {
    const tty = terminal();
    const printed: string[] = [];
    const progress = createProgress({ stream: tty, print: (l) => printed.push(l), fps: 50 });
    expect(progress.visible).toBe(true);
    const bar = progress.bar('orders.csv', 4 * 1024 * 1024, 'bytes');
    await settle(30);
    bar.update(1024 * 1024, { rows: 25_000 });
    await settle(100);
    expect(tty.text()).toMatch(/orders\.csv █{6}░{18}  25% 1\.0 MiB \/ 4\.0 MiB · [\d,]+ rows\/s · ETA [\d.]+ (ms|s)/);
    progress.print('orders.csv → sales_orders: 100,000 rows read');
    bar.done();
    progress.stop();
    expect(printed).toEqual(['orders.csv → sales_orders: 100,000 rows read']); // stdout is no terminal here
    expect(tty.text()).toContain('\x1b[');
  });

  it('on a pipe, or with --quiet, nothing is drawn and results go to print', () => {
    for (const options of [{ stream: Object.assign(new PassThrough(), { isTTY: false }) }, { stream: terminal(), quiet: true }]) {
      const written: string[] = [];
      options.stream.on('data', (chunk: Buffer) => written.push(chunk.toString()));
      const printed: string[] = [];
      const progress = createProgress({ ...options, print: (l) => printed.push(l) });
      expect(progress.visible).toBe(false);
      const bar = progress.bar('x.csv', 100);
      bar.update(50, { rows: 10 });
      bar.done();
      progress.print('done');
      progress.stop();
      expect(written).toEqual([]);
      expect(printed).toEqual(['done']);
    }
  });
});

describe('glueless ingest progress through a pseudo-terminal', () => {
  let work: string;
  let csv: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-progress-'));
    csv = path.join(work, 'sales_orders_big.csv');
    await writeSalesOrdersCsv(csv, { rows: 200_000, days: 10 });
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  /** `script` (util-linux) runs the command on a pseudo-terminal and copies what the terminal showed. */
  async function onTerminal(args: string[]): Promise<string> {
    const command = [process.execPath, GLUELESS_BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const { stdout } = await exec('script', ['-qec', command, '/dev/null'], { env: { ...process.env, COLUMNS: '160' }, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  it('a terminal sees a bar with bytes read, rows/s and the file count, then the result line', async () => {
    const shown = await onTerminal(['--lake', path.join(work, 'tty'), 'ingest', csv, 'samples/sales_orders.csv', '--concurrency', '1']);
    expect(shown).toMatch(/sales_orders_big\.csv [█░]{24} +\d+% [\d.]+ (KiB|MiB) \/ 11\.\d MiB · [\d,]+ rows\/s/);
    expect(shown).toMatch(/files [█░]{24} +\d+% [012]\/2/);
    expect(shown).toMatch(/sales_orders_big\.csv → sales_orders: 200,000 rows read, 200,000 written/);
    expect(shown).toMatch(/samples\/sales_orders\.csv → sales_orders: 3,000 rows read/);
  });

  it('--quiet on a terminal, and a pipe, show no bar', async () => {
    const quiet = await onTerminal(['--lake', path.join(work, 'quiet'), '--quiet', 'ingest', 'samples/sales_orders.csv']);
    expect(quiet).toMatch(/3,000 rows read/);
    expect(quiet).not.toMatch(/[█░]/);
    const piped = await glueless(['--lake', path.join(work, 'pipe'), 'ingest', 'samples/sales_orders.csv']);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(piped.stdout).not.toMatch(/[█░]/);
  });

  it('redrive on a pipe prints its one summary line and nothing else (no line per event)', async () => {
    const lake = path.join(work, 'redrive');
    const folder = FailedEventFolder.inLake((await openLocalLake(lake)).root);
    for (const name of ['a', 'b']) await folder.record(failureRecordFor(`sales/orders/${name}.csv`, LOCAL_RAW_BUCKET, new Error('x')));
    const piped = await glueless(['--lake', lake, 'redrive']);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(piped.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^redrive: 2 events, 2 succeeded, 0 failed \(kept for the next redrive\): sales\/orders\/a\.csv skipped .*; sales\/orders\/b\.csv skipped/),
    ]);
  });
});
