import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { renderContractYaml } from '../../infer/contract-yaml.js';
import { inferTable } from '../../infer/infer-types.js';
import { inferJsonLinesTable } from '../../infer/infer-jsonl.js';
import { SNIFF_BYTES, sniffDialect, type Dialect } from '../../infer/sniff.js';
import { parseContract } from '../../pipeline/schema/parse-contract.js';
import { DEFAULT_MAX_COMPRESSION_RATIO, DEFAULT_MAX_UNCOMPRESSED_BYTES, decompressed, isGzip } from '../../pipeline/read/decompress.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { isIdentifier, toSnakeCase } from '../../pipeline/contract/names.js';

/**
 * `glueless infer <file.csv|file.jsonl>`: the crawler's job done once and reviewably. Sniffs the dialect from the first
 * 64 KiB (a file that starts with `{` is JSON lines), infers types from a sample of rows, and returns a contract YAML
 * that `ingest` accepts unchanged.
 */

export interface InferCommandOptions {
  /** Table name (default: the file name in snake_case). */
  name?: string;
  /** Data rows to sample (default 10,000). */
  sampleRows?: number;
  /** Raw key prefix (default `<name>/`). */
  prefix?: string;
}

export async function inferContract(file: string, options: InferCommandOptions = {}): Promise<string> {
  const name = options.name ?? (toSnakeCase(path.basename(file).replace(/\.gz$/i, '').replace(/\.[^.]*$/, '')) || 'dataset');
  if (!isIdentifier(name)) {
    throw new GluelessError(`--name "${name}" is not a table name: use lowercase snake_case, e.g. ${toSnakeCase(name) || 'my_table'}`);
  }
  const prefix = options.prefix === undefined ? `${name}/` : options.prefix.replace(/^\/+/, '').replace(/\/*$/, '/');
  if (options.sampleRows !== undefined && !(Number.isInteger(options.sampleRows) && options.sampleRows > 0)) {
    throw new GluelessError(`--sample-rows must be a positive whole number, got ${options.sampleRows}`);
  }

  const head = await readHead(file);
  if (/^\s*\{/.test(head[0])) {
    // JSON lines: the first thing in the file is an object.
    const guess = await inferJsonLinesTable(uncompressed(file), { fileName: file, sampleRows: options.sampleRows });
    const dialect: Dialect = { delimiter: ',', quote: '"', lineEnding: 'lf', bom: false, hasHeader: true };
    const yaml = renderContractYaml(guess, { name, prefix, fileName: path.basename(file), dialect, format: 'jsonl' });
    parseContract(yaml, `${name}.yaml (inferred)`);
    return yaml;
  }
  const dialect = sniffDialect(...head);
  const guess = await inferTable(uncompressed(file), { fileName: file, dialect, sampleRows: options.sampleRows });
  if (!dialect.hasHeader) {
    throw new GluelessError(`${file}: the first row looks like data, not a header; glueless needs a header row naming the columns`);
  }
  const yaml = renderContractYaml(guess, { name, prefix, fileName: path.basename(file), dialect });
  // What infer prints must be what ingest accepts; a contract that does not parse is a bug here, not the user's.
  parseContract(yaml, `${name}.yaml (inferred)`);
  return yaml;
}

/** The first SNIFF_BYTES of the file as text, and whether that is the whole file. */
async function readHead(file: string): Promise<[text: string, complete: boolean]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new GluelessError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`);
  }
  let buffer = Buffer.alloc(SNIFF_BYTES + 1);
  let bytesRead: number;
  try {
    ({ bytesRead } = await handle.read(buffer, 0, buffer.length, 0));
  } finally {
    await handle.close();
  }
  if (isGzip(buffer.subarray(0, bytesRead))) {
    // The head of what it expands to; the stream is closed as soon as there is enough.
    const parts: Uint8Array[] = [];
    bytesRead = 0;
    for await (const part of uncompressed(file)) {
      parts.push(part);
      bytesRead += part.byteLength;
      if (bytesRead > SNIFF_BYTES) break;
    }
    buffer = Buffer.concat(parts);
  }
  if (bytesRead === 0) throw new GluelessError(`${file}: file is empty; nothing to infer`);
  const bytes = buffer.subarray(0, Math.min(bytesRead, SNIFF_BYTES));
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new GluelessError(`${file}: is UTF-16 encoded; save the file as UTF-8`);
  }
  const nuls = bytes.reduce((n, byte) => n + Number(byte === 0), 0);
  if (nuls > bytes.length / 100) throw new GluelessError(`${file}: ${nuls} NUL bytes in the first ${bytes.length}; this looks like a binary file, not CSV text`);
  let text: string;
  try {
    // `stream` keeps a character cut at the end of the sample from counting as invalid.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes, { stream: bytesRead > SNIFF_BYTES });
  } catch {
    throw new GluelessError(`${file}: not valid UTF-8 in the first ${bytes.length} bytes; save the file as UTF-8`);
  }
  return [text, bytesRead <= SNIFF_BYTES];
}

/** The file's bytes, gunzipped if it is gzip (with the ingest defaults' bounds against decompression bombs). */
function uncompressed(file: string): AsyncIterable<Uint8Array> {
  return decompressed(createReadStream(file), {
    fileName: file,
    maxUncompressedBytes: DEFAULT_MAX_UNCOMPRESSED_BYTES,
    maxRatio: DEFAULT_MAX_COMPRESSION_RATIO,
  });
}
