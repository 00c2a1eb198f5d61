import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../src/adapters/aws/s3-object-store.js';
import { ObjectNotFoundError } from '../../../src/pipeline/contract/errors.js';
import { useMoto } from '../../support/moto.js';

const BUCKET = 'lake-processed';
const MiB = 1024 * 1024;

const moto = useMoto();
let client: S3Client;

beforeAll(() => {
  client = new S3Client({});
});

afterAll(() => {
  client?.destroy();
});

beforeEach(async () => {
  await moto.reset();
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

function zone(prefix?: string): S3ObjectStore {
  return new S3ObjectStore({ client, bucket: BUCKET, prefix });
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Deterministic, non-repeating bytes, so a misplaced part would change the digest. */
function chunkOf(index: number, size: number): Uint8Array {
  const chunk = Buffer.alloc(size);
  for (let offset = 0; offset + 4 <= size; offset += 4) chunk.writeUInt32LE((index * size + offset) >>> 0, offset);
  return chunk;
}

async function bucketKeys(): Promise<string[]> {
  const response = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (response.Contents ?? []).map((o) => o.Key!);
}

async function openUploads(): Promise<number> {
  const response = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
  return response.Uploads?.length ?? 0;
}

describe('S3ObjectStore', () => {
  it('writes and reads back text and bytes under its prefix', async () => {
    const quarantine = zone('quarantine/');
    expect(await quarantine.write('runs/a.json', '{"ok":"✓"}', 'application/json')).toBe(12);
    expect(await quarantine.write('runs/b.bin', new Uint8Array([0, 1, 2, 255]))).toBe(4);

    expect((await readAll(await quarantine.read('runs/a.json'))).toString()).toBe('{"ok":"✓"}');
    expect([...(await readAll(await quarantine.read('runs/b.bin')))]).toEqual([0, 1, 2, 255]);
    expect(await bucketKeys()).toEqual(['quarantine/runs/a.json', 'quarantine/runs/b.bin']);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'quarantine/runs/a.json' }));
    expect(head.ContentType).toBe('application/json');
  });

  it('names a missing key in ObjectNotFoundError', async () => {
    const error = await zone('quarantine/').read('nope.csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect((error as ObjectNotFoundError).key).toBe('nope.csv');
  });

  it('lists keys relative to its prefix, sorted, leaving other zones out', async () => {
    await zone().write('tables/t/b.parquet', 'bb');
    await zone().write('tables/t/a.parquet', 'a');
    await zone().write('tables/u/c.parquet', 'ccc');
    await zone().write('quarantine/t/x.csv', 'x');

    expect(await zone('tables').list('t/')).toEqual([
      { key: 't/a.parquet', size: 1, lastModified: expect.anything() },
      { key: 't/b.parquet', size: 2, lastModified: expect.anything() },
    ]);
    expect((await zone().list('')).map((o) => o.key)).toEqual([
      'quarantine/t/x.csv',
      'tables/t/a.parquet',
      'tables/t/b.parquet',
      'tables/u/c.parquet',
    ]);
  });

  it('lists past one page and deletes in batches of 1000', async () => {
    // moto takes any number of keys in one DeleteObjects, so the batches are counted on the way out.
    const batchSizes: number[] = [];
    let listPages = 0;
    const counting = new S3Client({});
    counting.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListObjectsV2Command') listPages++;
        if (context.commandName === 'DeleteObjectsCommand') {
          batchSizes.push((args.input as { Delete: { Objects: unknown[] } }).Delete.Objects.length);
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const store = new S3ObjectStore({ client: counting, bucket: BUCKET, prefix: 'quarantine/' });
    const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(5, '0')}.csv`);
    for (let start = 0; start < keys.length; start += 250) {
      await Promise.all(keys.slice(start, start + 250).map((key) => store.write(key, 'x')));
    }

    expect((await store.list('many/')).map((o) => o.key)).toEqual(keys);
    expect(listPages).toBe(2);

    await store.delete([...keys, 'many/never-existed.csv']);
    expect(batchSizes).toEqual([1000, 6]);
    expect(await store.list('many/')).toEqual([]);
    counting.destroy();
  });

  it('does nothing when asked to delete no keys', async () => {
    await expect(zone().delete([])).resolves.toBeUndefined();
  });

  it('streams a multi-part object through a sink and reads it back byte for byte', async () => {
    const store = zone('tables/');
    const sink = await store.openSink('t/order_date=2024-01-01/part-0.parquet', 'application/vnd.apache.parquet');
    const expected = createHash('sha256');
    const chunkSize = 256 * 1024;
    const chunks = (20 * MiB + 12_345) / chunkSize;
    for (let i = 0; i < Math.ceil(chunks); i++) {
      const size = i < Math.floor(chunks) ? chunkSize : 12_345;
      const chunk = chunkOf(i, size);
      expected.update(chunk);
      await sink.write(chunk);
    }
    expect(await sink.close()).toBe(20 * MiB + 12_345);

    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'tables/t/order_date=2024-01-01/part-0.parquet' }),
    );
    expect(head.ETag).toMatch(/-3"$/); // three 8 MiB parts: a multipart upload, not a single put
    expect(head.ContentType).toBe('application/vnd.apache.parquet');
    const actual = createHash('sha256');
    for await (const chunk of await store.read('t/order_date=2024-01-01/part-0.parquet')) actual.update(chunk);
    expect(actual.digest('hex')).toBe(expected.digest('hex'));
  });

  it('makes the writer wait while parts are still uploading', async () => {
    let releaseParts!: () => void;
    const partsHeld = new Promise<void>((resolve) => (releaseParts = resolve));
    const slow = new S3Client({});
    slow.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') await partsHeld;
        return next(args);
      },
      { step: 'initialize' },
    );
    const sink = await new S3ObjectStore({ client: slow, bucket: BUCKET }).openSink('held.parquet');

    let accepted = 0;
    for (let i = 0; i < 40; i++) {
      const stalled = await Promise.race([
        sink.write(chunkOf(i, MiB)).then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300)),
      ]);
      if (stalled) break;
      accepted += MiB;
    }
    // Two 8 MiB parts in flight, then the writer is held: memory stays bounded whatever the file size.
    expect(accepted).toBeGreaterThanOrEqual(16 * MiB);
    expect(accepted).toBeLessThan(20 * MiB);

    releaseParts();
    expect(await sink.close()).toBe(accepted + MiB);
    slow.destroy();
  });

  it('streams a small object through a sink as a single put', async () => {
    const sink = await zone().openSink('small.csv');
    await sink.write(new TextEncoder().encode('a,b\n'));
    await sink.write(new TextEncoder().encode('1,2\n'));
    expect(await sink.close()).toBe(8);
    expect((await readAll(await zone().read('small.csv'))).toString()).toBe('a,b\n1,2\n');
  });

  it('leaves no object and no multipart upload when a multi-part sink is aborted', async () => {
    const sink = await zone().openSink('aborted.parquet');
    for (let i = 0; i < 18; i++) await sink.write(chunkOf(i, MiB));
    await sink.abort();

    expect(await bucketKeys()).toEqual([]);
    expect(await openUploads()).toBe(0);
    await expect(zone().read('aborted.parquet')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('leaves nothing when a sink is aborted before any bytes', async () => {
    const sink = await zone().openSink('empty.parquet');
    await sink.abort();
    expect(await bucketKeys()).toEqual([]);
    expect(await openUploads()).toBe(0);
  });

  it('fails writes and close after an abort', async () => {
    const sink = await zone().openSink('x.csv');
    await sink.write(new Uint8Array([1]));
    await sink.abort();
    await expect(sink.write(new Uint8Array([2]))).rejects.toThrow('upload aborted');
    await expect(sink.close()).rejects.toThrow('upload aborted');
    expect(await bucketKeys()).toEqual([]);
  });

  describe('with a spool directory', () => {
    let spool: string;
    beforeEach(async () => {
      spool = await mkdtemp(path.join(tmpdir(), 'glueless-spool-'));
    });
    afterEach(() => rm(spool, { recursive: true, force: true }));

    const spooled = () => new S3ObjectStore({ client, bucket: BUCKET, prefix: 'tables/', spoolDirectory: spool });

    it('keeps open objects on disk, not in S3 or memory, and uploads each whole when closed', async () => {
      const store = spooled();
      const sizes = [0, 1, 300 * 1024, 9 * MiB]; // the last goes multipart
      const sinks = await Promise.all(sizes.map((_, i) => store.openSink(`t/f${i}.parquet`, 'application/vnd.apache.parquet')));
      const written = sizes.map((size, i) => Buffer.from(chunkOf(i + 1, size)));
      for (const [i, sink] of sinks.entries()) {
        for (let at = 0; at < written[i]!.byteLength; at += 256 * 1024) await sink.write(written[i]!.subarray(at, at + 256 * 1024));
      }
      expect(await bucketKeys()).toEqual([]);
      const onDisk = await readdir(spool);
      expect(onDisk).toHaveLength(3); // an object nothing was written to has no file yet
      expect((await Promise.all(onDisk.map(async (f) => (await stat(path.join(spool, f))).size))).sort((a, b) => a - b)).toEqual(sizes.slice(1));

      expect(await Promise.all(sinks.map((sink) => sink.close()))).toEqual(sizes);
      expect(await readdir(spool)).toEqual([]);
      for (const [i] of sizes.entries()) {
        const read = await readAll(await store.read(`t/f${i}.parquet`));
        expect(read.equals(written[i]!)).toBe(true);
      }
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tables/t/f3.parquet' }));
      expect(head.ContentType).toBe('application/vnd.apache.parquet');
      expect(await openUploads()).toBe(0);
    });

    it('leaves nothing anywhere when aborted, and refuses writes after', async () => {
      const sink = await spooled().openSink('t/aborted.parquet');
      await sink.write(chunkOf(1, MiB));
      await sink.abort();
      expect(await readdir(spool)).toEqual([]);
      expect(await bucketKeys()).toEqual([]);
      await expect(sink.write(new Uint8Array([1]))).rejects.toThrow(/write after abort/);
      await expect(sink.close()).rejects.toThrow(/close after abort/);
    });

    it('names the object and the spool file when the disk fails it', async () => {
      const sink = await new S3ObjectStore({ client, bucket: BUCKET, spoolDirectory: path.join(spool, 'missing') }).openSink('t/x.parquet');
      await expect(sink.write(new Uint8Array([1]))).rejects.toThrow(/^could not spool s3:\/\/lake-processed\/t\/x\.parquet to .*missing.*ENOENT/);
      await sink.abort();
    });
  });

  describe('when the connection drops in the middle of a body', () => {
    const SIZE = 3 * MiB;
    let flaky: S3Client;
    /** Bytes after which each of the next GETs breaks off, and the Range each GET asked for. */
    let dropAfter: number[];
    let ranges: Array<string | undefined>;
    let beforeDrop: () => Promise<void>;

    beforeEach(() => {
      dropAfter = [];
      ranges = [];
      beforeDrop = async () => {};
      flaky = new S3Client({});
      // Between the real moto response and the adapter: the body is cut off as a reset socket would cut it.
      flaky.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (context.commandName !== 'GetObjectCommand') return result;
          ranges.push((args.input as { Range?: string }).Range);
          const limit = dropAfter.shift();
          if (limit === undefined) return result;
          const output = result.output as { Body: AsyncIterable<Uint8Array> & { destroy(): void } };
          const body = output.Body;
          output.Body = (async function* () {
            let sent = 0;
            for await (const chunk of body) {
              const room = limit - sent;
              if (chunk.byteLength >= room) {
                if (room > 0) yield chunk.subarray(0, room);
                body.destroy();
                await beforeDrop();
                throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
              }
              sent += chunk.byteLength;
              yield chunk;
            }
          })() as never;
          return result;
        },
        { step: 'initialize', name: 'dropConnectionMidBody' },
      );
    });
    afterEach(() => flaky.destroy());

    async function landObject(): Promise<Buffer> {
      const bytes = Buffer.concat([0, 1, 2].map((i) => chunkOf(i, MiB)));
      await zone().write('raw/big.bin', bytes);
      return bytes;
    }

    it('resumes with ranged GETs where it stopped and delivers every byte once', async () => {
      const bytes = await landObject();
      dropAfter = [1_000_000, 700_000];
      const read = await readAll(await new S3ObjectStore({ client: flaky, bucket: BUCKET }).read('raw/big.bin'));
      expect(read.byteLength).toBe(SIZE);
      expect(createHash('sha256').update(read).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(ranges).toEqual([undefined, 'bytes=1000000-', 'bytes=1700000-']);
    });

    it('fails instead of mixing versions when the object was replaced before the resume', async () => {
      await landObject();
      dropAfter = [1_000_000];
      beforeDrop = async () => {
        await zone().write('raw/big.bin', chunkOf(7, MiB));
      };
      const reading = readAll(await new S3ObjectStore({ client: flaky, bucket: BUCKET }).read('raw/big.bin'));
      await expect(reading).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    });

    it('gives up after three resumes with the connection error', async () => {
      await landObject();
      dropAfter = [100_000, 100_000, 100_000, 100_000];
      const reading = readAll(await new S3ObjectStore({ client: flaky, bucket: BUCKET }).read('raw/big.bin'));
      await expect(reading).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(ranges).toHaveLength(4);
    });
  });

  it('names locations as s3://bucket/prefix/key', () => {
    expect(zone('quarantine').locationOf('t/a.csv')).toBe(`s3://${BUCKET}/quarantine/t/a.csv`);
    expect(zone().locationOf('tables/t/')).toBe(`s3://${BUCKET}/tables/t/`);
  });
});
