import type { Worker } from 'node:worker_threads';
import { siblingScript, startWorker } from '../threads/worker-script.js';
import { writeFileInPlace } from './file-in-place.js';

/**
 * Small files written by a thread of their own (file-writer-thread.ts), in batches, while the main thread goes on
 * encoding the next ones. Over 20,000 daily partitions a run's files cost ~0.7 s of blocking calls on tmpfs and ~2 s on
 * ext4 (mkdir, write, rename each), all on the thread that also encodes them; on the second core they overlap with the
 * encoding. A write resolves once its file is in place, as a blocking write returns. Should the thread fail, its
 * unconfirmed files and every later one are written here, with blocking calls (each write is a temporary file renamed
 * into place, so writing one again is harmless).
 */

export interface FileBatch {
  id: number;
  files: string[];
  /** Each file's byte count; the bodies follow each other in `buffer`. */
  lengths: number[];
  buffer: ArrayBuffer;
}

export interface FileBatchResult {
  id: number;
  failures: Array<{ index: number; message: string; code?: string }>;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Batch {
  files: string[];
  lengths: number[];
  bytes: Uint8Array;
  waiters: Waiter[];
}

/**
 * Files a batch holds before it is sent: a run keeps up to 64 small files in flight, so several batches are under way
 * at once and the encoding never waits for a whole batch to be written.
 */
const FILES_PER_BATCH = 16;
const BYTES_PER_BATCH = 256 * 1024;
/**
 * An idle thread is stopped after this long (a later batch starts another, in ~25 ms): long enough to still be there for
 * the few small writes that follow a run's files (its table's schema, after the manifest and the catalog's opening:
 * ~0.2 s later at 20,000 partitions, where 100 ms made that one write wait for a new thread).
 */
const IDLE_STOP_MS = 1000;

export class BackgroundFileWriter {
  private worker?: Worker;
  /** The thread failed (or could not start): every write is made here from then on. */
  private broken = false;
  private nextId = 0;
  private files: string[] = [];
  private lengths: number[] = [];
  private waiters: Waiter[] = [];
  private buffer = new Uint8Array(BYTES_PER_BATCH);
  private used = 0;
  private scheduled = false;
  private readonly inFlight = new Map<number, Batch>();
  /** Called when the last batch in flight is settled (what `close` waits for). */
  private onDrained?: () => void;
  /** Stops the thread when nothing was sent for a while (its ~10 MB are then free for what the run does next). */
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly script: URL) {}

  /** Puts `body` at `file` (the directory made if need be); resolves once it is there. */
  write(file: string, body: Uint8Array | string): Promise<void> {
    if (this.broken) return writtenHere(file, body);
    // Copied now: the caller may reuse its buffer as soon as this returns.
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    if (this.used + bytes.length > this.buffer.length) {
      if (this.files.length > 0) this.flush();
      if (bytes.length > this.buffer.length) this.buffer = new Uint8Array(bytes.length);
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
    const written = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.files.push(file);
    this.lengths.push(bytes.length);
    if (this.files.length >= FILES_PER_BATCH || this.used >= BYTES_PER_BATCH) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (this.files.length > 0) this.flush();
      });
    }
    return written;
  }

  /** Stops the thread once what was sent is written (for tests: an idle thread keeps no process alive). */
  async close(): Promise<void> {
    if (this.files.length > 0) this.flush();
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.onDrained = resolve));
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      worker.removeAllListeners();
      await worker.terminate();
    }
  }

  private flush(): void {
    const batch: Batch = { files: this.files, lengths: this.lengths, bytes: this.buffer.slice(0, this.used), waiters: this.waiters };
    this.files = [];
    this.lengths = [];
    this.waiters = [];
    this.used = 0;
    const worker = this.broken ? undefined : this.started();
    if (!worker) {
      writeHere(batch);
      return;
    }
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    this.inFlight.set(id, batch);
    // Copied, not transferred: the bytes stay here until the thread confirms them, in case it fails first.
    worker.postMessage({ id, files: batch.files, lengths: batch.lengths, buffer: batch.bytes.buffer as ArrayBuffer } satisfies FileBatch);
    // While files are in flight the thread keeps the process alive: a run may await nothing else.
    worker.ref();
  }

  private started(): Worker | undefined {
    if (this.worker) return this.worker;
    let worker: Worker;
    try {
      worker = startWorker({ url: this.script, workerData: undefined });
    } catch {
      this.broken = true;
      return undefined;
    }
    worker.on('message', (result: FileBatchResult) => this.settled(result));
    const fail = () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.broken = true;
      const unconfirmed = [...this.inFlight.values()];
      this.inFlight.clear();
      for (const batch of unconfirmed) writeHere(batch);
      this.drained();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    // Idle, the thread keeps no process alive (unref'd after the listeners, which ref it again).
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settled({ id, failures }: FileBatchResult): void {
    const batch = this.inFlight.get(id);
    if (!batch) return;
    this.inFlight.delete(id);
    const failed = new Map(failures.map((f) => [f.index, f]));
    batch.waiters.forEach((waiter, index) => {
      const failure = failed.get(index);
      if (failure) waiter.reject(Object.assign(new Error(failure.message), { code: failure.code }));
      else waiter.resolve();
    });
    if (this.inFlight.size === 0) {
      this.worker?.unref();
      this.drained();
      this.idleTimer = setTimeout(() => this.stopIdle(), IDLE_STOP_MS).unref();
    }
  }

  private stopIdle(): void {
    const worker = this.worker;
    if (!worker || this.inFlight.size > 0) return;
    this.worker = undefined;
    worker.removeAllListeners();
    void worker.terminate();
  }

  private drained(): void {
    const onDrained = this.onDrained;
    this.onDrained = undefined;
    onDrained?.();
  }
}

/** A batch written on this thread, each file settled as it is. */
function writeHere(batch: Batch): void {
  let offset = 0;
  batch.files.forEach((file, index) => {
    const body = batch.bytes.subarray(offset, (offset += batch.lengths[index]!));
    try {
      writeFileInPlace(file, body);
      batch.waiters[index]!.resolve();
    } catch (error) {
      batch.waiters[index]!.reject(error as Error);
    }
  });
}

function writtenHere(file: string, body: Uint8Array | string): Promise<void> {
  try {
    writeFileInPlace(file, body);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

let shared: BackgroundFileWriter | undefined;

/** The process's one writer thread, started on its first batch. */
export function backgroundFileWriter(): BackgroundFileWriter {
  return (shared ??= new BackgroundFileWriter(siblingScript(import.meta.url, 'file-writer-thread')));
}
