import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputFileError } from '../contract/errors.js';

/**
 * Gzip input, recognised by its magic bytes (not by the key's extension: `orders.csv` that is really gzip is read, and
 * `orders.csv.gz` that is really plain text is read as text). Decompression streams, so memory stays bounded, and it is
 * bounded against decompression bombs twice: by the total it may produce and by the ratio of output to input, checked
 * as the bytes come out. Either limit, or a corrupt or truncated stream, is an InputFileError naming the file: the
 * file is rejected, never half-processed.
 */

export interface DecompressionLimits {
  /** Named in every error message. */
  fileName: string;
  /** Bytes a compressed file may expand to, in all. */
  maxUncompressedBytes: number;
  /** Output bytes per input byte a compressed file may reach (judged once 1 MiB has come out). */
  maxRatio: number;
}

/** The bounds a dataset contract gets unless it sets `source.max_uncompressed_bytes` / `max_compression_ratio`. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 5 * 1024 ** 3;
export const DEFAULT_MAX_COMPRESSION_RATIO = 200;

/** Uncompressed bytes of the object: the bytes themselves, or what they decompress to if they are gzip. */
export async function* decompressed(bytes: AsyncIterable<Uint8Array>, limits: DecompressionLimits): AsyncGenerator<Uint8Array> {
  const iterator = bytes[Symbol.asyncIterator]();
  try {
    const first = await firstBytes(iterator);
    if (first === undefined) return;
    if (!isGzip(first)) {
      yield first;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      return;
    }
    yield* gunzipped(first, iterator, limits);
  } finally {
    // A reader that stops early (an error, enough for a sample) closes the source too.
    await iterator.return?.();
  }
}

/** The first chunk, with at least the two magic bytes when the object has them. */
async function firstBytes(iterator: AsyncIterator<Uint8Array>): Promise<Uint8Array | undefined> {
  let first: Uint8Array | undefined;
  while (first === undefined || first.byteLength < GZIP_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) return first;
    first = first === undefined ? next.value : Buffer.concat([first, next.value]);
  }
  return first;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= GZIP_MAGIC.length && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

const GZIP_MAGIC = [0x1f, 0x8b];
/** The ratio is not judged before this much has come out: small files of repeated text compress very well. */
const RATIO_GRACE_BYTES = 1024 * 1024;

async function* gunzipped(
  first: Uint8Array,
  rest: AsyncIterator<Uint8Array>,
  { fileName, maxUncompressedBytes, maxRatio }: DecompressionLimits,
): AsyncGenerator<Uint8Array> {
  let bytesIn = 0;
  async function* compressed(): AsyncGenerator<Uint8Array> {
    bytesIn += first.byteLength;
    yield first;
    for (let next = await rest.next(); !next.done; next = await rest.next()) {
      bytesIn += next.value.byteLength;
      yield next.value;
    }
  }
  const input = Readable.from(compressed(), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  let inputFailure: unknown;
  input.on('error', (error) => {
    inputFailure = error;
    gunzip.destroy(error);
  });
  input.pipe(gunzip);
  let bytesOut = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Uint8Array>) {
      bytesOut += chunk.byteLength;
      if (bytesOut > maxUncompressedBytes) {
        throw new InputFileError(
          `${fileName}: gzip expands past ${maxUncompressedBytes.toLocaleString('en-US')} bytes (source.max_uncompressed_bytes); ` +
            'split the file or raise the limit',
        );
      }
      if (bytesOut > RATIO_GRACE_BYTES && bytesOut > bytesIn * maxRatio) {
        throw new InputFileError(
          `${fileName}: gzip expands more than ${maxRatio}:1 (${bytesIn.toLocaleString('en-US')} bytes to ` +
            `${bytesOut.toLocaleString('en-US')} so far), refused as a likely decompression bomb (source.max_compression_ratio)`,
        );
      }
      yield chunk;
    }
  } catch (error) {
    if (error === inputFailure || error instanceof InputFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code.startsWith('ERR_')) {
      throw new InputFileError(`${fileName}: not a readable gzip file (${(error as Error).message}); is it truncated?`);
    }
    throw error;
  } finally {
    input.unpipe(gunzip);
    input.destroy();
    gunzip.destroy();
  }
}
