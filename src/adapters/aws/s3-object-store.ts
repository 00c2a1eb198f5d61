import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GluelessError, ObjectNotFoundError } from '../../pipeline/contract/errors.js';
import type { ObjectInfo, ObjectSink, ObjectStore } from '../../pipeline/contract/ports.js';

export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the zone inside the bucket, e.g. `quarantine/`; empty for the bucket root. */
  prefix?: string;
  /**
   * A local directory (on Lambda, /tmp) where streamed objects are written until they are complete, then uploaded
   * whole. Memory then stays flat however many objects are open at once — a file touching thousands of partitions —
   * at the cost of local disk for what is open. Without it, an object streams out while it is written, and each open
   * one holds up to a few 8 MiB parts in memory.
   */
  spoolDirectory?: string;
}

const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
const DELETE_BATCH = 1000;
/** Times one read may resume after its connection dropped. */
const MAX_RESUMES = 3;

/** One lake zone in an S3 bucket. */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly spoolDirectory?: string;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.spoolDirectory = options.spoolDirectory;
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  /**
   * Streams the object. A connection that drops mid-body (a reset, a timeout: common on long reads) is resumed where
   * it stopped, with a ranged GET pinned to the object's ETag, up to `MAX_RESUMES` times: a long conversion is not
   * thrown away for one dropped connection, and an object replaced meanwhile fails the read instead of mixing two
   * versions.
   */
  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    const first = await this.get(key);
    return this.resumable(key, first.body, first.etag);
  }

  /** Bytes [start, end) of the object, resumed like `read` if the connection drops. */
  async readRange(key: string, start: number, end: number): Promise<AsyncIterable<Uint8Array>> {
    if (end <= start) return emptyBody();
    const first = await this.get(key, { offset: start, etag: undefined, end });
    return this.resumable(key, first.body, first.etag, start, end);
  }

  private async get(
    key: string,
    from?: { offset: number; etag: string | undefined; end?: number },
  ): Promise<{ body: AsyncIterable<Uint8Array>; etag?: string }> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          ...(from && { Range: `bytes=${from.offset}-${from.end !== undefined ? from.end - 1 : ''}`, IfMatch: from.etag }),
        }),
      );
      // In Node the body is an IncomingMessage: a Readable, so iterating it streams without buffering.
      return { body: (response.Body as AsyncIterable<Uint8Array> | undefined) ?? emptyBody(), etag: response.ETag };
    } catch (error) {
      if (isMissingKey(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  private async *resumable(
    key: string,
    body: AsyncIterable<Uint8Array>,
    etag: string | undefined,
    start = 0,
    end?: number,
  ): AsyncGenerator<Uint8Array> {
    let offset = start;
    for (let resumes = 0; ; resumes++) {
      try {
        for await (const chunk of body) {
          offset += chunk.byteLength;
          yield chunk;
        }
        return;
      } catch (error) {
        if (resumes >= MAX_RESUMES || !isDroppedConnection(error)) throw error;
        body = (await this.get(key, { offset, etag, end })).body;
      }
    }
  }

  async write(key: string, body: Uint8Array | string, contentType?: string): Promise<number> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentType: contentType,
      }),
    );
    return bytes.byteLength;
  }

  async openSink(key: string, contentType?: string): Promise<ObjectSink> {
    if (this.spoolDirectory) return new S3SpooledSink(this.client, this.bucket, this.prefix + key, contentType, this.spoolDirectory);
    return new S3UploadSink(this.client, this.bucket, this.prefix + key, contentType);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const objects: ObjectInfo[] = [];
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix + prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        objects.push({ key: object.Key!.slice(this.prefix.length), size: object.Size ?? 0, lastModified: object.LastModified });
      }
    }
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const response = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.prefix + key })), Quiet: true },
        }),
      );
      const failure = response.Errors?.[0];
      if (failure) {
        throw new GluelessError(
          `could not delete ${this.locationOf(failure.Key?.slice(this.prefix.length) ?? '?')}: ${failure.Code} ${failure.Message ?? ''}`.trim(),
        );
      }
    }
  }

  locationOf(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }
}

/**
 * A streaming upload through lib-storage: parts of 8 MiB go out while the caller is still writing, and the caller waits
 * whenever the upload falls behind.
 */
class S3UploadSink implements ObjectSink {
  private readonly stream = new PassThrough();
  private readonly done: Promise<unknown>;
  private failure: unknown;
  private bytes = 0;

  constructor(client: S3Client, bucket: string, key: string, contentType: string | undefined) {
    const upload = uploadOf(client, { Bucket: bucket, Key: key, Body: this.stream, ContentType: contentType });
    // Upload reports failures through done(); the stream's own 'error' events would otherwise crash the process.
    this.stream.on('error', () => {});
    this.done = upload.done();
    this.done.catch((error: unknown) => {
      this.failure = error;
      // Wakes a writer waiting for 'drain' that would otherwise wait forever once nothing reads the stream.
      this.stream.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.bytes += chunk.byteLength;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<number> {
    this.stream.end();
    await this.done;
    return this.bytes;
  }

  /**
   * Ends the upload by failing its input rather than with Upload.abort(): abort() settles done() at once, while
   * lib-storage is still finishing parts in flight, whereas a failed input lets it abort the multipart upload after
   * the last part, before done() settles. So once this resolves, no parts are left behind.
   */
  async abort(): Promise<void> {
    this.stream.destroy(new Error('upload aborted'));
    await this.done.catch(() => {});
  }
}

/**
 * An object written to a local file first and uploaded once complete (lib-storage: one put, or multipart above 8 MiB),
 * so an open object costs disk, not memory. The file is removed after the upload, and on abort.
 */
class S3SpooledSink implements ObjectSink {
  private readonly file: string;
  private handle?: FileHandle;
  private bytes = 0;
  private aborted = false;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly contentType: string | undefined,
    directory: string,
  ) {
    this.file = path.join(directory, `glueless-spool-${randomUUID()}`);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.aborted) throw new GluelessError(`s3://${this.bucket}/${this.key}: write after abort`);
    try {
      this.handle ??= await open(this.file, 'w');
      await this.handle.write(chunk);
    } catch (error) {
      throw new GluelessError(
        `could not spool s3://${this.bucket}/${this.key} to ${this.file}: ${(error as Error).message}` +
          ((error as NodeJS.ErrnoException).code === 'ENOSPC' ? ' (raise the function\'s ephemeral storage)' : ''),
      );
    }
    this.bytes += chunk.byteLength;
  }

  async close(): Promise<number> {
    if (this.aborted) throw new GluelessError(`s3://${this.bucket}/${this.key}: close after abort`);
    try {
      this.handle ??= await open(this.file, 'w');
      await this.handle.close();
      this.handle = undefined;
      await uploadOf(this.client, { Bucket: this.bucket, Key: this.key, Body: createReadStream(this.file), ContentType: this.contentType }).done();
      return this.bytes;
    } finally {
      await this.discard();
    }
  }

  async abort(): Promise<void> {
    this.aborted = true;
    await this.discard();
  }

  private async discard(): Promise<void> {
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
    await rm(this.file, { force: true });
  }
}

/** lib-storage's upload of a body: one put below PART_SIZE, multipart above it with PARTS_IN_FLIGHT parts at a time. */
function uploadOf(client: S3Client, params: { Bucket: string; Key: string; Body: Readable; ContentType: string | undefined }): Upload {
  return new Upload({ client, params, partSize: PART_SIZE, queueSize: PARTS_IN_FLIGHT });
}

function isMissingKey(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NoSuchKey' || (name !== 'NoSuchBucket' && $metadata?.httpStatusCode === 404);
}

const DROPPED_CONNECTION_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** A body stream that broke off in transit (not an error of S3's, which would have come with the response). */
function isDroppedConnection(error: unknown): boolean {
  const { code, name } = error as { code?: string; name?: string };
  return DROPPED_CONNECTION_CODES.has(code ?? '') || name === 'TimeoutError';
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
