import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The pool's threads and the process's life: a process whose only work is a range on a worker must wait for it, and a
 * pool nobody closes (a warm Lambda's) must not keep a finished process alive. Run in a child process, which either
 * exits by itself or is stopped by the spawn's timeout.
 */
describe('range worker pool', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'glueless-pool-'));
    // A worker that answers each range after a while, with a failure naming the thread that converted it.
    await writeFile(
      path.join(dir, 'slow-worker.mjs'),
      `import { parentPort, threadId } from 'node:worker_threads';
       parentPort.on('message', (r) => setTimeout(() => parentPort.postMessage({ id: r.id, outcome: { index: r.task.index, error: 'thread ' + threadId, inputError: false } }), 300));`,
    );
    const pool = pathToFileURL(path.resolve('src/adapters/threads/range-worker-pool.ts')).href;
    await writeFile(
      path.join(dir, 'main.mts'),
      `import { RangeWorkerPool } from ${JSON.stringify(pool)};
       const pool = new RangeWorkerPool({ url: new URL('./slow-worker.mjs', import.meta.url), workerData: {} }, 2);
       const task = (index: number) => ({ index, start: 0, end: 1, line: 1, header: [] });
       pool.run('a.csv', {} as never, [task(0), task(1), task(2)]).then((outcomes) => console.log(JSON.stringify(outcomes)));`,
    );
    // A worker that says it has started (before any range), then answers as above.
    await writeFile(
      path.join(dir, 'announcing-worker.mjs'),
      `import { appendFileSync } from 'node:fs';
       import { parentPort, threadId, workerData } from 'node:worker_threads';
       appendFileSync(workerData.started, threadId + '\\n');
       parentPort.on('message', (r) => parentPort.postMessage({ id: r.id, outcome: { index: r.task.index, error: 'thread ' + threadId, inputError: false } }));`,
    );
    await writeFile(
      path.join(dir, 'warm.mts'),
      `import { readFileSync, existsSync } from 'node:fs';
       import { RangeWorkerPool } from ${JSON.stringify(pool)};
       const started = ${JSON.stringify(path.join(dir, 'started.txt'))};
       const pool = new RangeWorkerPool({ url: new URL('./announcing-worker.mjs', import.meta.url), workerData: { started } }, 2);
       pool.warm();
       const deadline = Date.now() + 20_000;
       while ((existsSync(started) ? readFileSync(started, 'utf8').trim().split('\\n').length : 0) < 2 && Date.now() < deadline) {
         await new Promise((resolve) => setTimeout(resolve, 20));
       }
       const before = readFileSync(started, 'utf8').trim().split('\\n');
       const task = (index: number) => ({ index, start: 0, end: 1, line: 1, header: [] });
       const outcomes = await pool.run('a.csv', {} as never, [task(0), task(1), task(2), task(3)]);
       console.log(JSON.stringify({ before, threads: outcomes.map((o) => (o as { error: string }).error.split(' ')[1]), after: readFileSync(started, 'utf8').trim().split('\\n') }));`,
    );
    // Workers whose first thread dies: on its first range, or while its script loads (a warmed one); later threads answer.
    const answer = `parentPort.postMessage({ id: r.id, outcome: { index: r.task.index, error: 'thread ' + threadId, inputError: false } })`;
    const dieOnce = (what: string) => `if (!existsSync(workerData.died)) { writeFileSync(workerData.died, ''); throw new Error('${what}'); }`;
    const header = `import { existsSync, writeFileSync } from 'node:fs';
       import { parentPort, threadId, workerData } from 'node:worker_threads';`;
    await writeFile(path.join(dir, 'dies-on-range.mjs'), `${header}\n parentPort.on('message', (r) => { ${dieOnce('died on a range')} ${answer}; });`);
    await writeFile(path.join(dir, 'dies-on-load.mjs'), `${header}\n ${dieOnce('died loading')}\n parentPort.on('message', (r) => ${answer});`);
    await writeFile(
      path.join(dir, 'dying.mts'),
      `import { RangeWorkerPool } from ${JSON.stringify(pool)};
       const task = (index: number) => ({ index, start: 0, end: 1, line: 1, header: [] });
       const died = ${JSON.stringify(path.join(dir, 'died-on-range'))};
       const pool = new RangeWorkerPool({ url: new URL('./dies-on-range.mjs', import.meta.url), workerData: { died } }, 1);
       pool.run('a.csv', {} as never, [task(0), task(1)]).then((outcomes) => console.log(JSON.stringify(outcomes)));`,
    );
    await writeFile(
      path.join(dir, 'warm-dying.mts'),
      `import { RangeWorkerPool } from ${JSON.stringify(pool)};
       const task = (index: number) => ({ index, start: 0, end: 1, line: 1, header: [] });
       const died = ${JSON.stringify(path.join(dir, 'died-on-load'))};
       const pool = new RangeWorkerPool({ url: new URL('./dies-on-load.mjs', import.meta.url), workerData: { died } }, 1);
       pool.warm();
       // Until the pool has seen its warmed thread die (its private list of threads, read only to wait for that event).
       const threads = () => (pool as unknown as { workers: unknown[] }).workers.length;
       const deadline = Date.now() + 20_000;
       while (threads() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
       const before = threads();
       const outcomes = await pool.run('a.csv', {} as never, [task(0)]);
       console.log(JSON.stringify({ before, outcomes }));`,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts every worker at once when warmed, and gives the ranges to those same threads; unclosed, the process exits', () => {
    const child = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), path.join(dir, 'warm.mts')], { encoding: 'utf8', timeout: 30_000 });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { before, threads, after } = JSON.parse(child.stdout) as { before: string[]; threads: string[]; after: string[] };
    expect(before).toHaveLength(2);
    expect(after).toEqual(before);
    expect(new Set(threads)).toEqual(new Set(before));
  });

  it('keeps the process alive while a worker holds a range, and lets it exit once the ranges are done, unclosed', () => {
    const child = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), path.join(dir, 'main.mts')], { encoding: 'utf8', timeout: 30_000 });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const outcomes = JSON.parse(child.stdout) as Array<{ index: number; error: string }>;
    expect(outcomes.map((o) => o.index)).toEqual([0, 1, 2]);
    // Two threads for three ranges: one took two of them.
    expect(new Set(outcomes.map((o) => o.error)).size).toBe(2);
  });

  it('fails the range of a worker that dies, and converts the ranges waiting for a thread on a new one', () => {
    const child = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), path.join(dir, 'dying.mts')], { encoding: 'utf8', timeout: 30_000 });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    // Was: the second range waited for a thread that never came, and the process ended without a word.
    const outcomes = JSON.parse(child.stdout || 'null') as Array<{ index: number; error: string }> | null;
    expect(outcomes?.map((o) => o.index)).toEqual([0, 1]);
    // The failure names the file and the bytes of the range (was: 'range worker stopped: …' alone).
    expect(outcomes![0]!.error).toBe('a.csv: the worker thread converting bytes 0-1 stopped: died on a range');
    expect(outcomes![1]!.error).toMatch(/^thread \d+$/);
  });

  it('never hands a range to a warmed worker that died before any range: a new thread converts it', () => {
    const child = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), path.join(dir, 'warm-dying.mts')], { encoding: 'utf8', timeout: 30_000 });
    expect(child.error).toBeUndefined();
    // Was: the range was posted to the dead thread, and failed on its exit event (or waited for ever, had that come first).
    expect(child.status).toBe(0);
    const { before, outcomes } = JSON.parse(child.stdout) as { before: number; outcomes: Array<{ index: number; error: string }> };
    expect(before).toBe(0);
    expect(outcomes.map((o) => o.index)).toEqual([0]);
    expect(outcomes[0]!.error).toMatch(/^thread \d+$/);
  });
});
