import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GluelessError, ObjectNotFoundError } from '../../pipeline/errors.js';
import type { ObjectInfo, ObjectSink, ObjectStore } from '../../pipeline/ports.js';

export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the zone inside the bucket, e.g. `quarantine/`; empty for the bucket root. */
  prefix?: string;
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

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
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

  private async get(key: string, from?: { offset: number; etag: string | undefined }): Promise<{ body: AsyncIterable<Uint8Array>; etag?: string }> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          ...(from && { Range: `bytes=${from.offset}-`, IfMatch: from.etag }),
        }),
      );
      // In Node the body is an IncomingMessage: a Readable, so iterating it streams without buffering.
      return { body: (response.Body as AsyncIterable<Uint8Array> | undefined) ?? emptyBody(), etag: response.ETag };
    } catch (error) {
      if (isMissingKey(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  private async *resumable(key: string, body: AsyncIterable<Uint8Array>, etag: string | undefined): AsyncGenerator<Uint8Array> {
    let offset = 0;
    for (let resumes = 0; ; resumes++) {
      try {
        for await (const chunk of body) {
          offset += chunk.byteLength;
          yield chunk;
        }
        return;
      } catch (error) {
        if (resumes >= MAX_RESUMES || !isDroppedConnection(error)) throw error;
        body = (await this.get(key, { offset, etag })).body;
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
    return new S3UploadSink(this.client, this.bucket, this.prefix + key, contentType);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const objects: ObjectInfo[] = [];
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix + prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        objects.push({ key: object.Key!.slice(this.prefix.length), size: object.Size ?? 0 });
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
    const upload = new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: this.stream, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
    });
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
