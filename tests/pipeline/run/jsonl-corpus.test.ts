import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { RunManifest } from '../../../src/pipeline/contract/run-manifest.js';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, readText, tempLake } from '../../support/local.js';

/**
 * A corpus of bad JSON lines, one file per case: each ends in a clear outcome — `ok` with the bad lines quarantined
 * under a named rule and their text kept byte for byte, or `rejected` with a one-line reason naming the file (and the
 * line) — never an exception, and rows read = rows written + rows quarantined.
 */
type Local = Awaited<ReturnType<typeof tempLake>>;

const contract = (file = '', source = '') =>
  contractFrom(`
name: corpus
source: { prefix: corpus/, format: jsonl${source} }
columns:
  - { name: id, type: bigint, required: true }
  - { name: name, type: string }
  - { name: amount, type: "decimal(10,2)" }
partition_by: { column: ingest_date }
${file}`);

interface CorpusFile {
  name: string;
  content: string | Uint8Array;
  contract?: ReturnType<typeof contract>;
  expected: { ok: { written: number; quarantinedByRule: Record<string, number> } } | { rejected: RegExp };
  then?: (local: Local, manifest: RunManifest) => Promise<void>;
}

const GOOD = '{"id":1,"name":"a","amount":1.50}';

const CORPUS: CorpusFile[] = [
  { name: 'malformed JSON', content: `${GOOD}\n{"id":2,"name":}\n{"id":3}\n`, expected: { ok: { written: 2, quarantinedByRule: { malformed: 1 } } } },
  { name: 'a line truncated at the end of the file', content: `${GOOD}\n{"id":2,"name":"cut`, expected: { ok: { written: 1, quarantinedByRule: { malformed: 1 } } } },
  { name: 'an array, a bare number, a string, null, true', content: `${GOOD}\n[1,2]\n42\n"x"\nnull\ntrue\n`, expected: { ok: { written: 1, quarantinedByRule: { malformed: 5 } } } },
  { name: 'NaN and Infinity', content: `NaN\n{"id":2,"amount":NaN}\n{"id":3,"amount":Infinity}\n${GOOD}\n`, expected: { ok: { written: 1, quarantinedByRule: { malformed: 3 } } } },
  { name: 'garbage after an object on the line', content: `${GOOD} trailing\n`, expected: { ok: { written: 1, quarantinedByRule: { malformed: 1 } } } },
  { name: 'a raw control character in a string', content: `{"id":1,"name":"a\tb"}\n${GOOD}\n`, expected: { ok: { written: 1, quarantinedByRule: { malformed: 1 } } } },
  { name: 'a duplicate key with another value', content: `{"id":1,"id":2}\n${GOOD}\n`, expected: { ok: { written: 1, quarantinedByRule: { malformed: 1 } } } },
  {
    name: 'nested a million levels deep',
    content: `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n{"id":2,"name":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}\n${GOOD}\n`,
    expected: { ok: { written: 1, quarantinedByRule: { malformed: 2 } } },
  },
  {
    name: 'nested 400 levels, kept whole as JSON text in a string column',
    content: `{"id":2,"name":${'['.repeat(400)}${']'.repeat(400)}}\n`,
    expected: { ok: { written: 1, quarantinedByRule: {} } },
  },
  { name: 'values that break the types', content: `{"id":"x"}\n{"id":1,"amount":123456789012.5}\n{"id":9223372036854775808}\n{"id":{"a":1}}\n{"name":"no id"}\n${GOOD}\n`, expected: { ok: { written: 1, quarantinedByRule: { cast: 4, not_null: 1 } } } },
  { name: 'an empty file', content: '', expected: { ok: { written: 0, quarantinedByRule: {} } } },
  { name: 'blank lines and a BOM', content: `\uFEFF\n\r\n${GOOD}\r\n\n`, expected: { ok: { written: 1, quarantinedByRule: {} } } },
  { name: 'concatenated objects, gzip', content: gzipSync(`${GOOD}{"id":2}{"id":3,"name":"c"}`), expected: { ok: { written: 3, quarantinedByRule: {} } } },
  { name: 'Latin-1 bytes', content: Buffer.concat([Buffer.from(`${GOOD}\n{"id":2,"name":"Caf`), Buffer.from([0xe9]), Buffer.from('"}\n')]), expected: { rejected: /not valid UTF-8 at line 2, byte 53;/ } },
  { name: 'a UTF-16 export', content: Buffer.from(`\uFEFF${GOOD}\n`, 'utf16le'), expected: { rejected: /not valid UTF-8 at line 1, byte 0;/ } },
  {
    name: 'a record longer than max_record_chars',
    contract: contract('', ', max_record_chars: 4096'),
    content: `${GOOD}\n{"id":2,"name":"${'x'.repeat(10_000)}"}\n`,
    expected: { rejected: /line 2: a record longer than 4,096 characters \(source\.max_record_chars\)/ },
  },
  {
    name: 'concatenated records with no line break are each held to max_record_chars, not the whole line',
    contract: contract('', ', max_record_chars: 4096'),
    content: Array.from({ length: 2000 }, (_, i) => `{"id":${i},"name":"${'n'.repeat(20)}"}`).join(''),
    expected: { ok: { written: 2000, quarantinedByRule: {} } },
  },
  { name: 'an undeclared field, extra_columns: reject', contract: contract('file: { extra_columns: reject }'), content: `${GOOD}\n{"id":2,"colour":"red"}\n`, expected: { rejected: /line 2: field "colour" is not declared by the contract of corpus \(file\.extra_columns: reject\)/ } },
  { name: 'too few rows for min_rows', contract: contract('file: { min_rows: 3 }'), content: `${GOOD}\n{"id":2}\n`, expected: { rejected: /2 rows, fewer than the 3 the contract requires \(file\.min_rows\)/ } },
  { name: 'too many bad lines for max_error_ratio', contract: contract('file: { max_error_ratio: 0.25 }'), content: `${GOOD}\n[1]\n`, expected: { rejected: /1 of 2 rows failed checks \(50\.0%\), above file\.max_error_ratio 0\.25/ } },
];

describe('bad JSON lines: every file ends in a clear outcome, nothing lost, bad lines kept byte for byte', () => {
  let local: Local;
  beforeEach(async () => {
    local = await tempLake();
  });
  afterEach(() => local.cleanup());

  it.each(CORPUS.map((file) => [file.name, file] as const))('%s', async (_name, file) => {
    const key = `corpus/${file.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.jsonl`;
    await landRaw(local, key, file.content);
    const manifest = await processObject(key, file.contract ?? contract(), local.lake);

    expect(manifest.rowsRead).toBe(manifest.rowsWritten + manifest.rowsQuarantined);
    expect(manifest.outputs.reduce((sum, o) => sum + o.rows, 0)).toBe(manifest.rowsWritten);
    if ('rejected' in file.expected) {
      expect(manifest.outcome).toBe('rejected');
      expect(manifest.rejectReason).toMatch(file.expected.rejected);
      expect(manifest.rejectReason!.startsWith(`${key}: `)).toBe(true);
      expect(manifest.rejectReason).not.toMatch(/[\r\n]/);
      const kept = await readFile(local.lake.quarantine.locationOf(manifest.quarantineFile!));
      expect(kept.equals(Buffer.from(file.content))).toBe(true);
      return;
    }
    expect(manifest).toMatchObject({ outcome: 'ok', rowsWritten: file.expected.ok.written, quarantinedByRule: file.expected.ok.quarantinedByRule });
    if (manifest.rowsQuarantined === 0) {
      expect(manifest.quarantineFile).toBeUndefined();
      return;
    }
    // Each quarantine line names its source line, and holds that line's text exactly (as JSON, or as a string).
    const text = typeof file.content === 'string' ? file.content.replace(/^\uFEFF/, '') : '';
    const sourceLines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    const entries = (await readText(local, 'quarantine', manifest.quarantineFile!)).trimEnd().split('\n');
    expect(entries).toHaveLength(manifest.rowsQuarantined);
    for (const entry of entries) {
      const parsed = JSON.parse(entry) as Record<string, unknown>;
      expect(Object.keys(parsed).slice(0, 5)).toEqual(['_error_rule', '_error_column', '_error_value', '_error_message', '_source_line']);
      const original = typeof parsed._record_text === 'string' ? parsed._record_text : entry.slice(entry.indexOf(',"_record":') + 11, -1);
      const line = sourceLines[(parsed._source_line as number) - 1]!;
      if (!file.name.startsWith('garbage')) expect(original).toBe(line.trim());
      else expect(line.startsWith(original) || line.endsWith(original)).toBe(true);
    }
  });
});
