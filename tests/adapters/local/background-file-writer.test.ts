import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BackgroundFileWriter } from '../../../src/adapters/local/background-file-writer.js';
import { siblingScript } from '../../../src/adapters/threads/worker-script.js';

/** The thread's script from the sources (loaded through tsx, as the range workers' are in tests). */
const script = siblingScript(new URL('../../../src/adapters/local/background-file-writer.ts', import.meta.url).href, 'file-writer-thread');

describe('BackgroundFileWriter', () => {
  let dir: string;
  const writers: BackgroundFileWriter[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'glueless-background-'));
  });
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
    await rm(dir, { recursive: true, force: true });
  });
  const writer = (url: URL = script) => {
    const made = new BackgroundFileWriter(url);
    writers.push(made);
    return made;
  };
  const filesUnder = async (root: string) => (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();

  it('puts every file in place, in many batches, with the bytes it was given when asked, and leaves no temporary file', async () => {
    const background = writer();
    const body = new Uint8Array(3000);
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 500; i++) {
      body.fill(i % 251);
      writes.push(background.write(path.join(dir, `order_date=${i}`, 'part.parquet'), body));
      // The caller reuses its buffer at once (as a Parquet writer does): what was asked for must still be written.
      body.fill(255);
    }
    writes.push(background.write(path.join(dir, 'notes.txt'), 'text, too'));
    await Promise.all(writes);
    const files = await filesUnder(dir);
    expect(files).toHaveLength(501);
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
    for (const i of [0, 1, 17, 250, 499]) {
      const bytes = await readFile(path.join(dir, `order_date=${i}`, 'part.parquet'));
      expect(bytes.length).toBe(3000);
      expect(bytes.every((b) => b === i % 251)).toBe(true);
    }
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('text, too');
  });

  it('fails only the file that cannot be written, with the file system error naming it; the batch around it lands', async () => {
    const background = writer();
    await writeFile(path.join(dir, 'blocker'), 'a file where a directory should be');
    const good = [0, 1, 2].map((i) => background.write(path.join(dir, 'ok', `${i}.bin`), new Uint8Array([i])));
    const bad = background.write(path.join(dir, 'blocker', 'inside.bin'), new Uint8Array([9]));
    await expect(bad).rejects.toMatchObject({ code: 'ENOTDIR', message: expect.stringContaining(path.join(dir, 'blocker')) });
    await Promise.all(good);
    expect(await filesUnder(dir)).toEqual(['blocker', 'ok/0.bin', 'ok/1.bin', 'ok/2.bin']);
  });

  it('writes on this thread when its own cannot start, so no file is lost', async () => {
    const background = writer(new URL('file:///nonexistent/glueless/file-writer-thread.js'));
    await Promise.all(Array.from({ length: 40 }, (_, i) => background.write(path.join(dir, 'd', `${i}.bin`), new Uint8Array([i]))));
    // And after it is known to be broken.
    await background.write(path.join(dir, 'd', 'late.bin'), new Uint8Array([1]));
    expect(await filesUnder(path.join(dir, 'd'))).toHaveLength(41);
    expect([...(await readFile(path.join(dir, 'd', '39.bin')))]).toEqual([39]);
  });
});
