import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DirectoryObjectStore } from '../../../src/adapters/local/directory-store.js';
import { BackgroundFileWriter } from '../../../src/adapters/local/background-file-writer.js';
import { siblingScript } from '../../../src/adapters/threads/worker-script.js';
import { ObjectNotFoundError, UnsafeValueError } from '../../../src/pipeline/contract/errors.js';

describe('DirectoryObjectStore', () => {
  let dir: string;
  let store: DirectoryObjectStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'glueless-store-'));
    store = new DirectoryObjectStore(path.join(dir, 'zone'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const readAll = async (key: string) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await store.read(key)) chunks.push(chunk);
    return Buffer.concat(chunks).toString();
  };

  it('writes, reads, lists under a prefix and deletes', async () => {
    await store.write('a/b/one.txt', 'one');
    await store.write('a/two.txt', 'two');
    await store.write('c/three.txt', 'three');
    expect(await readAll('a/b/one.txt')).toBe('one');
    expect((await store.list('a/')).map(({ key, size }) => ({ key, size }))).toEqual([
      { key: 'a/b/one.txt', size: 3 },
      { key: 'a/two.txt', size: 3 },
    ]);
    expect((await store.list('')).map((o) => o.key)).toEqual(['a/b/one.txt', 'a/two.txt', 'c/three.txt']);
    await store.delete(['a/two.txt', 'missing.txt']);
    expect((await store.list('a/')).map((o) => o.key)).toEqual(['a/b/one.txt']);
  });

  it('copies a file of this machine in as a key; a copy that fails leaves nothing, not even its temporary file', async () => {
    const source = path.join(dir, 'export.csv');
    await writeFile(source, 'id,name\n1,ann\n');
    await store.copyIn(source, 'sales/export.csv');
    expect(await readAll('sales/export.csv')).toBe('id,name\n1,ann\n');
    await expect(store.copyIn(path.join(dir, 'missing.csv'), 'sales/missing.csv')).rejects.toThrow(/ENOENT/);
    expect((await store.list('sales/')).map((o) => o.key)).toEqual(['sales/export.csv']);
    expect(await readdir(path.join(dir, 'zone', 'sales'))).toEqual(['export.csv']);
  });

  it('writes a small file itself for the first few, then through the writer thread; a large one never goes there', async () => {
    const background = new BackgroundFileWriter(
      siblingScript(new URL('../../../src/adapters/local/background-file-writer.ts', import.meta.url).href, 'file-writer-thread'),
    );
    const handed: string[] = [];
    const write = background.write.bind(background);
    background.write = (file, body) => (handed.push(path.basename(file)), write(file, body));
    try {
      const threaded = new DirectoryObjectStore(path.join(dir, 'zone'), { backgroundAfter: 3, background: () => background });
      const sizes = await Promise.all(Array.from({ length: 8 }, (_, i) => threaded.write(`p=${i}/part.bin`, `file ${i}`)));
      expect(sizes).toEqual(Array.from({ length: 8 }, (_, i) => `file ${i}`.length));
      expect(await threaded.write('big.bin', new Uint8Array(300 * 1024))).toBe(300 * 1024);
      expect(handed).toHaveLength(5);
      expect(await readAll('p=7/part.bin')).toBe('file 7');
      expect((await threaded.list('')).map((o) => o.key)).toEqual(['big.bin', ...Array.from({ length: 8 }, (_, i) => `p=${i}/part.bin`)]);
    } finally {
      await background.close();
    }
  });

  it('raises ObjectNotFoundError for a missing key', async () => {
    await expect(store.read('nope.csv')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('makes a streamed object visible only when closed, and an aborted one never', async () => {
    const sink = await store.openSink('out/file.parquet');
    await sink.write(new Uint8Array([1, 2, 3]));
    expect(await store.list('out/')).toEqual([]);
    expect(await sink.close()).toBe(3);
    expect((await store.list('out/')).map(({ key, size }) => ({ key, size }))).toEqual([{ key: 'out/file.parquet', size: 3 }]);

    const aborted = await store.openSink('out/aborted.parquet');
    await aborted.write(new Uint8Array([9]));
    await aborted.abort();
    expect(await readdir(path.join(dir, 'zone', 'out'))).toEqual(['file.parquet']);
  });

  it.each(['../outside.txt', 'a/../../outside.txt', '/etc/passwd', 'a\u0000b', 'a/./b', 'line\nbreak', 'back\\slash'])(
    'refuses key %j that could leave the lake',
    async (key) => {
      await expect(store.write(key, 'x')).rejects.toBeInstanceOf(UnsafeValueError);
      await expect(store.openSink(key)).rejects.toBeInstanceOf(UnsafeValueError);
      expect(await readdir(dir, { recursive: true })).toEqual([]);
    },
  );

  it.each(['t/p=1/f.parquet', 'a//b.txt', 'dir/', '.hidden/x', 'a/..b/c.', 'x'])('puts key %j where path.resolve puts it under the root', (key) => {
    expect(store.pathOf(key)).toBe(path.resolve(dir, 'zone', key));
  });

  it.each([
    ['tables/t/p=1/', 'tables/t/p=1/'],
    ['tables/t/p=1', 'tables/t/p=1'],
    ['a//b/', 'a/b/'],
    ['a/./b/', 'a/b/'],
  ])('locates key %j at the root joined with %j (one slash closing a prefix)', (key, joined) => {
    expect(store.locationOf(key)).toBe(`${path.join(dir, 'zone')}/${joined}`);
  });
});
