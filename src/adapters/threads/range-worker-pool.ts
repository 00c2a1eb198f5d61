import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import type { RangeOutcome, RangeRunner, RangeTask } from '../../pipeline/run/range-task.js';
import { startWorker, type WorkerScript } from './worker-script.js';

/**
 * Worker threads that convert the byte ranges of a file, each worker one range at a time; the main thread cuts the
 * file and settles the ranges. One pool serves `glueless ingest --workers N` (a script over a directory lake) and the
 * transform function (a script over its buckets): what differs is the script and its `workerData`. Started on first
 * use, stopped by `close`.
 */

export interface RangeWorkRequest {
  id: number;
  sourceKey: string;
  contract: DatasetContract;
  task: RangeTask;
}

/** The workers `glueless ingest` uses unless told: one per CPU the process may use (the transform: config.ts). */
export function defaultWorkers(): number {
  return availableParallelism();
}

export class RangeWorkerPool {
  private workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<() => void> = [];
  /** What each worker is converting: resolved by its reply, or failed if it dies. */
  private readonly pending = new Map<Worker, { request: RangeWorkRequest; resolve: (outcome: RangeOutcome) => void }>();
  private nextId = 0;

  constructor(
    private readonly script: WorkerScript,
    readonly size: number,
  ) {}

  readonly run: RangeRunner = (sourceKey, contract, tasks) =>
    Promise.all(tasks.map((task) => this.convert({ id: this.nextId++, sourceKey, contract, task })));

  /**
   * Starts every worker now rather than on first use, so their modules load while the main thread is still landing
   * and cutting the file (~0.1–0.2 s a worker otherwise spent after the cut, on the way to the first range).
   */
  warm(): void {
    while (this.workers.length < this.size) this.idle.push(this.start());
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private async convert(request: RangeWorkRequest): Promise<RangeOutcome> {
    const worker = await this.acquire();
    try {
      return await new Promise<RangeOutcome>((resolve) => {
        this.pending.set(worker, { request, resolve });
        // A worker holding a range keeps the process alive until it replies: the main thread may await nothing else.
        worker.ref();
        worker.postMessage(request);
      });
    } finally {
      worker.unref();
      this.pending.delete(worker);
      this.release(worker);
    }
  }

  private async acquire(): Promise<Worker> {
    for (;;) {
      const worker = this.idle.pop();
      if (worker) return worker;
      if (this.workers.length < this.size) return this.start();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(worker: Worker): void {
    // A worker that died is not handed out again, but a range waiting for a thread may start one in its place.
    if (this.workers.includes(worker)) this.idle.push(worker);
    this.waiting.shift()?.();
  }

  private start(): Worker {
    const worker = startWorker(this.script);
    worker.on('message', ({ id, outcome }: { id: number; outcome: RangeOutcome }) => {
      const held = this.pending.get(worker);
      if (held?.request.id === id) held.resolve(outcome);
    });
    // A worker that dies fails the range it held; the run then fails as a whole and removes what the ranges wrote. An
    // idle one (warmed, its script failed to load; crashed between invocations) is dropped, never handed a range.
    const fail = (error: Error) => {
      this.workers = this.workers.filter((w) => w !== worker);
      const idle = this.idle.indexOf(worker);
      if (idle >= 0) this.idle.splice(idle, 1);
      const held = this.pending.get(worker);
      if (!held) return;
      const { sourceKey, task } = held.request;
      held.resolve({ index: task.index, error: `${sourceKey}: the worker thread converting bytes ${task.start}-${task.end} stopped: ${error.message}`, inputError: false });
    };
    worker.on('error', fail);
    // Any exit: a thread that ends without an error (exit code 0) while holding a range would never reply either.
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    // An idle worker keeps no process alive (a warm Lambda's pool, a CLI that did not close it); unref'd only after
    // the listeners are attached, which ref it again.
    worker.unref();
    this.workers.push(worker);
    return worker;
  }
}
