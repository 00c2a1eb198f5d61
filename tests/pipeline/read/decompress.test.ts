import { gzipSync } from 'node:zlib';
import { decompressed, isGzip } from '../../../src/pipeline/read/decompress.js';
import { InputFileError } from '../../../src/pipeline/contract/errors.js';

const limits = { fileName: 'raw/orders.csv.gz', maxUncompressedBytes: 64 * 1024 * 1024, maxRatio: 200 };

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

/** The first bytes one at a time (the gzip magic split), then large chunks. */
async function* trickling(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < 3; at++) yield bytes.subarray(at, at + 1);
  yield* chunksOf(bytes.subarray(3), 65536);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** Text that varies enough to compress like a real export (a few times, not a thousand). */
function csvText(rows: number): string {
  const lines = ['id,name,amount'];
  for (let i = 0; i < rows; i++) lines.push(`${i},name ${(i * 7919) % 10007},${((i * 104729) % 100000) / 100}`);
  return `${lines.join('\n')}\n`;
}

describe('decompressed', () => {
  it('passes plain bytes through untouched, however they are chunked', async () => {
    const text = Buffer.from(csvText(1000));
    expect((await collect(decompressed(chunksOf(text, 1), limits))).equals(text)).toBe(true);
    expect((await collect(decompressed(trickling(text), limits))).equals(text)).toBe(true);
    expect((await collect(decompressed(chunksOf(text, 4096), limits))).equals(text)).toBe(true);
    expect(await collect(decompressed(chunksOf(new Uint8Array(0), 1), limits))).toHaveLength(0);
  });

  it('gunzips by magic bytes, with the magic split across chunks and several members concatenated', async () => {
    const text = csvText(50_000);
    const half = text.indexOf('\n', text.length / 2) + 1;
    const gzip = Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half))]);
    expect(isGzip(gzip)).toBe(true);
    const out = await collect(decompressed(trickling(gzip), { ...limits, fileName: 'orders.csv' }));
    expect(out.toString('utf8')).toBe(text);
    expect((await collect(decompressed(chunksOf(gzip, 65536), limits))).toString('utf8')).toBe(text);
  });

  it('refuses a decompression bomb by ratio, naming the file and the setting', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x31));
    const error = await collect(decompressed(chunksOf(bomb, 16384), limits)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputFileError);
    expect((error as Error).message).toMatch(/^raw\/orders\.csv\.gz: gzip expands more than 200:1 .*max_compression_ratio/);
  });

  it('refuses output past the byte limit even at an ordinary ratio', async () => {
    const text = csvText(200_000);
    const gzip = gzipSync(text);
    const error = await collect(decompressed(chunksOf(gzip, 65536), { ...limits, maxUncompressedBytes: 1024 * 1024 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputFileError);
    expect((error as Error).message).toMatch(/gzip expands past 1,048,576 bytes \(source\.max_uncompressed_bytes\)/);
  });

  it.each([
    ['truncated', (gzip: Buffer) => gzip.subarray(0, gzip.byteLength - 100)],
    ['corrupt', (gzip: Buffer) => Buffer.concat([gzip.subarray(0, 20), Buffer.alloc(200, 0xff), gzip.subarray(220)])],
  ])('turns a %s gzip stream into a clear error for the file', async (_name, damage) => {
    const error = await collect(decompressed(chunksOf(damage(gzipSync(csvText(5000))), 4096), limits)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputFileError);
    expect((error as Error).message).toMatch(/^raw\/orders\.csv\.gz: not a readable gzip file \(.+\)/);
  });

  it('surfaces a failure of the underlying read as itself, not as a gzip error', async () => {
    const gzip = gzipSync(csvText(5000));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzip.subarray(0, 100);
      throw new Error('connection reset');
    }
    await expect(collect(decompressed(failing(), limits))).rejects.toThrow(/^connection reset$/);
  });
});
