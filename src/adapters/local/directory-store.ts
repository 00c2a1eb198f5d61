import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { ObjectNotFoundError, UnsafeValueError } from '../../pipeline/contract/errors.js';
import type { ObjectInfo, ObjectSink, ObjectStore } from '../../pipeline/contract/ports.js';
import { backgroundFileWriter, type BackgroundFileWriter } from './background-file-writer.js';
import { temporaryPath, writeFileInPlace } from './file-in-place.js';

/**
 * A lake zone as a directory. Keys map to paths under the root and can never leave it: `..` segments, absolute keys
 * and control characters are refused. Writes go to a temporary file renamed into place, so a reader never sees half
 * a file and an aborted write leaves nothing.
 */
export interface DirectoryStoreOptions {
  /**
   * Small files this store writes itself before it hands the rest to the writer thread (background-file-writer.ts):
   * default 256 on the main thread (a run of a few partitions never starts the thread), never on a worker thread (a
   * range worker is one core's work already).
   */
  backgroundAfter?: number;
  /** The writer thread to hand them to (default: the process's one). */
  background?: () => BackgroundFileWriter;
}

/** A `.` or `..` segment. */
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

export class DirectoryObjectStore implements ObjectStore {
  readonly root: string;
  private readonly backgroundAfter: number;
  private readonly background: () => BackgroundFileWriter;
  private smallWrites = 0;

  constructor(root: string, options: DirectoryStoreOptions = {}) {
    this.root = path.resolve(root);
    this.backgroundAfter = options.backgroundAfter ?? (isMainThread ? DEFAULT_BACKGROUND_AFTER : Infinity);
    this.background = options.background ?? backgroundFileWriter;
  }

  pathOf(key: string): string {
    // eslint-disable-next-line no-control-regex
    if (key === '' || key.startsWith('/') || /[\x00-\x1f\x7f\\]/.test(key) || DOT_SEGMENT.test(key)) {
      throw new UnsafeValueError(`refusing object key "${key.replace(/[\x00-\x1f\x7f]/g, '?')}": it must stay inside the lake`);
    }
    // A key of plain segments is its path under the root as it is (what path.resolve gives, for a fraction of its cost:
    // a run writes a key per partition, tens of thousands).
    if (this.isPlain(key) && !key.endsWith('/')) return `${this.root}/${key}`;
    const resolved = path.resolve(this.root, key);
    if (!resolved.startsWith(this.root + path.sep)) throw new UnsafeValueError(`refusing object key "${key}": outside the lake`);
    return resolved;
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    const file = this.pathOf(key);
    try {
      if (!(await stat(file)).isFile()) throw new ObjectNotFoundError(key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw error;
    }
    return createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  }

  async readRange(key: string, start: number, end: number): Promise<AsyncIterable<Uint8Array>> {
    await this.read(key).then((stream) => (stream as ReturnType<typeof createReadStream>).destroy());
    if (end <= start) return (async function* () {})();
    return createReadStream(this.pathOf(key), { highWaterMark: RANGE_CHUNK_BYTES, start, end: end - 1 });
  }

  /**
   * A small object is written with blocking calls: a few microseconds each on a local disk, where the same calls
   * through the thread pool cost a round trip each (20,000 partitions' files: ~0.8 s blocking against ~1.4 s queued
   * on ext4, 0.17 s against 0.95 s on tmpfs; BENCHMARKS.md). Past the first few hundred of a run, by a thread of their
   * own, in batches, while this one goes on (background-file-writer.ts). A large one goes through the thread pool.
   */
  async write(key: string, body: Uint8Array | string): Promise<number> {
    const file = this.pathOf(key);
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (bytes <= BLOCKING_WRITE_BYTES) {
      if (this.smallWrites++ < this.backgroundAfter) writeFileInPlace(file, body);
      else await this.background().write(file, body);
      return bytes;
    }
    await intoPlace(file, (temporaryFile) => writeFile(temporaryFile, body));
    return bytes;
  }

  /**
   * Lands a file of this machine as `key`, copied by the file system (copy_file_range, or a reflink where the file
   * system has them) rather than through a stream: a 61 MB file in ~70 ms instead of ~250 ms. Like every write, into a
   * temporary file renamed into place.
   */
  async copyIn(file: string, key: string): Promise<void> {
    await intoPlace(this.pathOf(key), (temporary) => copyFile(file, temporary));
  }

  async openSink(key: string): Promise<ObjectSink> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = temporaryPath(file);
    const stream = createWriteStream(temporary);
    let bytes = 0;
    let failure: Error | undefined;
    stream.on('error', (error) => (failure = error));
    return {
      async write(chunk) {
        if (failure) throw failure;
        bytes += chunk.byteLength;
        if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
      },
      async close() {
        await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
        if (failure) throw failure;
        await rename(temporary, file);
        return bytes;
      },
      async abort() {
        // The file is opened asynchronously: wait until the stream has closed, or the open could land after the rm.
        if (!stream.closed) {
          await new Promise<void>((resolve) => {
            stream.once('close', () => resolve());
            stream.destroy();
          });
        }
        await rm(temporary, { force: true });
      },
    };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    const walk = async (directory: string, keyPrefix: string) => {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const key = `${keyPrefix}${entry.name}`;
        if (entry.isDirectory()) await walk(path.join(directory, entry.name), `${key}/`);
        else if (entry.isFile() && !entry.name.includes('.tmp-') && key.startsWith(prefix)) {
          const info = await stat(path.join(directory, entry.name));
          found.push({ key, size: info.size, lastModified: info.mtime });
        }
      }
    };
    // Start from the deepest directory the prefix names, not the whole zone.
    const directoryPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    await walk(directoryPart ? this.pathOf(directoryPart.replace(/\/$/, '')) : this.root, directoryPart);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.pathOf(key), { force: true })));
  }

  /** A key that is its path under the root as it is, on a POSIX system: relative, no `.`/`..` or empty segment. */
  private isPlain(key: string): boolean {
    return path.sep === '/' && this.root !== '/' && !key.startsWith('/') && !key.includes('//') && !DOT_SEGMENT.test(key);
  }

  locationOf(key: string): string {
    if (key === '') return `${this.root}/`;
    // Plain segments (a partition's key) as they are: what path.join gives them, for a fraction of its cost.
    if (this.isPlain(key)) return `${this.root}/${key}`;
    const joined = path.join(this.root, key);
    return key.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
  }
}

/**
 * Bytes a read hands over at a time. 64 KiB rather than 1 MiB: as fast (a 1M-row ingest in one thread 2.6–2.8 s either
 * way), and the peak 50–60 MB lower (1M rows: ~255 → ~195 MB; 5M: 263–299 → 234–254 MB): a freed 1 MiB chunk moves
 * glibc's mmap threshold up, the next ones come from its heap, and a file read through leaves that heap fragmented.
 */
const READ_CHUNK_BYTES = 64 * 1024;
/** A byte range (a worker's): 256 KiB, where 64 KiB cost two workers ~3% (the same memory as 1 MiB there). */
const RANGE_CHUNK_BYTES = 256 * 1024;

/** Objects up to this size are written with blocking calls (see `write`). */
const BLOCKING_WRITE_BYTES = 256 * 1024;
/** Small files a main-thread store writes itself before the writer thread takes the rest (see `write`). */
const DEFAULT_BACKGROUND_AFTER = 256;

/** Makes `file` by filling a temporary file beside it and renaming that into place; nothing is left if it fails. */
async function intoPlace(file: string, fill: (temporary: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = temporaryPath(file);
  try {
    await fill(temporary);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
