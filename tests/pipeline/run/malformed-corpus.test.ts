import { parquetReadObjects } from 'hyparquet';
import { readFile } from 'node:fs/promises';
import type { RunManifest } from '../../../src/pipeline/contract/run-manifest.js';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, readText, tempLake, withoutLineage } from '../../support/local.js';

/**
 * A generated corpus of malformed files. Each must end in a clear outcome — `ok` with the bad rows quarantined under a
 * named rule, or `rejected` with a one-line reason naming the file (and the line, where there is one) — never an
 * exception, and rows read = rows written + rows quarantined must hold.
 */

type Local = Awaited<ReturnType<typeof tempLake>>;

const CONTRACT = contractFrom(`
name: corpus
source: { prefix: corpus/ }
columns:
  - { name: id, type: int, required: true }
  - { name: name, type: string }
  - { name: amount, type: "decimal(10,2)" }
partition_by: { column: ingest_date }
`);
const HEADER = 'id,name,amount';
const MB = 1024 * 1024;

/** Seeded bytes: the same garbage on every run. */
function randomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  return bytes;
}

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]),
  Buffer.from('IHDR'),
  Buffer.from([0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x06, 0x00, 0x00, 0x00, 0x5c, 0x72, 0xa8, 0x66]),
  randomBytes(2048, 7),
]);

async function rowsWritten(local: Local, manifest: RunManifest) {
  const rows: Array<Record<string, unknown>> = [];
  for (const output of manifest.outputs) {
    const bytes = await readFile(local.lake.processed.locationOf(output.key));
    rows.push(...(await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })));
  }
  return withoutLineage(rows);
}

/** Quarantined rows as [rule, message, source line], from the quarantine CSV's last columns. */
async function quarantined(local: Local, manifest: RunManifest): Promise<string[]> {
  if (!manifest.quarantineFile) return [];
  const text = await readText(local, 'quarantine', manifest.quarantineFile);
  return text.trim().split(/\r?\n/).slice(1);
}

interface CorpusFile {
  name: string;
  content: string | Uint8Array;
  /** `ok` with these rows written and these rules counted, or `rejected` with a reason matching this. */
  expected: { ok: { written: number; quarantinedByRule: Record<string, number> } } | { rejected: RegExp };
  /** More to check once the outcome holds. */
  then?: (local: Local, manifest: RunManifest) => Promise<void>;
}

const CORPUS: CorpusFile[] = [
  {
    name: 'ragged rows, short and long',
    content: `${HEADER}\n1,a,1.00\n2,b\n3,c,3.00,extra\n4\n5,e,5.00\n`,
    expected: { ok: { written: 2, quarantinedByRule: { column_count: 3 } } },
    then: async (local, manifest) => {
      const lines = await quarantined(local, manifest);
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/column_count,,2,"row has 2 fields, header has 3",3$/);
      // A long row keeps its surplus fields in _error_value, so nothing it held is lost.
      expect(lines[1]).toBe('3,c,3.00,column_count,,"[""extra""]","row has 4 fields, header has 3",4');
      expect(lines[2]).toMatch(/column_count,,1,"row has 1 fields?, header has 3",5$/);
    },
  },
  {
    name: 'an unterminated quote at the end of the file',
    content: `${HEADER}\n1,a,1.00\n2,"never closed,2.00\n3,c,3.00\n`,
    expected: { rejected: /line 3: malformed CSV \(Quote Not Closed\): a quoted field is never closed/ },
  },
  { name: 'an empty file', content: '', expected: { rejected: /file is empty; a header row is required/ } },
  { name: 'only blank lines', content: '\n\r\n\r\n\n', expected: { rejected: /file is empty; a header row is required/ } },
  { name: 'a header only', content: `${HEADER}\n`, expected: { ok: { written: 0, quarantinedByRule: {} } } },
  { name: 'a header only, no line break', content: HEADER, expected: { ok: { written: 0, quarantinedByRule: {} } } },
  { name: 'duplicate header names', content: 'id,name,amount,name\n1,a,1.00,b\n', expected: { rejected: /header "name" appears twice \(columns 2 and 4\)/ } },
  { name: 'an empty header name', content: 'id,,amount\n1,a,1.00\n', expected: { rejected: /header column 2 is empty/ } },
  { name: 'random bytes', content: randomBytes(4096, 42), expected: { rejected: /not valid UTF-8 at line \d+, byte \d+; save the file as UTF-8/ } },
  {
    name: 'random 7-bit bytes (valid UTF-8, not CSV)',
    content: randomBytes(4096, 9).map((b) => b & 0x7f),
    expected: { rejected: /line \d+: malformed CSV \(Invalid Closing Quote\)/ },
  },
  { name: 'a PNG image', content: PNG, expected: { rejected: /not valid UTF-8 at line 1, byte 0; save the file as UTF-8/ } },
  {
    name: 'a UTF-16 export',
    content: Buffer.from(`\uFEFF${HEADER}\r\n1,a,1.00\r\n`, 'utf16le'),
    expected: { rejected: /not valid UTF-8 at line 1, byte 0;/ },
  },
  {
    name: 'Latin-1 bytes after the first megabyte',
    content: Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from(`1,${'x'.repeat(MB + 10)},1.00\n`), Buffer.from('2,Caf\xe9,2.00\n', 'latin1')]),
    expected: { rejected: new RegExp(`not valid UTF-8 at line 3, byte ${HEADER.length + 1 + MB + 18 + 5};`) },
  },
  {
    name: 'a character cut off at the end',
    content: Buffer.concat([Buffer.from(`${HEADER}\n1,caf`), Buffer.from([0xc3])]),
    expected: { rejected: new RegExp(`not valid UTF-8 at line 2, byte ${HEADER.length + 1 + 5}; the file ends inside a character \\(truncated\\?\\)`) },
  },
  {
    name: 'a 1 MB field, quoted with commas, quotes and line breaks, and a 1 MB unquoted one',
    // 8 bytes a repeat in the file, 7 characters once read: `""` is one quote.
    content: `${HEADER}\n1,"${'ab,c""d\n'.repeat(MB / 8)}",1.00\n2,${'z'.repeat(MB)},2.00\n3,c,3.00\n`,
    expected: { ok: { written: 3, quarantinedByRule: {} } },
    then: async (local, manifest) => {
      const rows = await rowsWritten(local, manifest);
      expect(rows.map((r) => (r.name as string).length)).toEqual([(MB / 8) * 7, MB, 1]);
      expect((rows[0]!.name as string).slice(0, 16)).toBe('ab,c"d\nab,c"d\nab');
    },
  },
  {
    name: 'a stray quote inside an unquoted field (kept as a character)',
    content: `${HEADER}\n1,a,1.00\n2,ab"c,2.00\n`,
    expected: { ok: { written: 2, quarantinedByRule: {} } },
  },
  {
    name: 'text after a closing quote',
    content: `${HEADER}\n1,"a"b,1.00\n`,
    expected: { rejected: /line 2: malformed CSV \(Invalid Closing Quote\)/ },
  },
  {
    name: 'mixed line endings (LF, CRLF, CR)',
    content: `${HEADER}\r\n1,a,1.00\n2,b,oops\r3,"c\r\nd",3.00\r\n4,d,4.00\r`,
    expected: { ok: { written: 3, quarantinedByRule: { cast: 1 } } },
    then: async (local, manifest) => {
      expect((await quarantined(local, manifest))[0]).toMatch(/^2,b,oops,cast,amount,oops,.*,3$/);
      expect((await rowsWritten(local, manifest)).map((r) => r.name)).toEqual(['a', 'c\r\nd', 'd']);
    },
  },
  {
    name: 'a BOM and CRLF line endings',
    content: `\uFEFF${HEADER}\r\n1,a,1.00\r\n2,b,2.00\r\n`,
    expected: { ok: { written: 2, quarantinedByRule: {} } },
  },
  {
    name: 'NUL bytes in text and in a number',
    content: `${HEADER}\n1,a\0b,1.00\n2\0,b,2.00\n`,
    expected: { ok: { written: 1, quarantinedByRule: { cast: 1 } } },
    then: async (local, manifest) => {
      expect(await rowsWritten(local, manifest)).toEqual([{ id: 1, name: 'a\0b', amount: 1 }]);
    },
  },
  {
    name: 'rows of delimiters only, and values that break the types',
    content: `${HEADER}\n,,\n1,a,12345678901.00\n2147483648,b,1\n3,c,1.005\n4,d,4\n`,
    expected: { ok: { written: 1, quarantinedByRule: { not_null: 1, cast: 3 } } },
  },
  {
    name: 'a row of 10,000 fields',
    content: `${HEADER}\n1,a,1.00\n${Array.from({ length: 10_000 }, (_, i) => i).join(',')}\n`,
    expected: { ok: { written: 1, quarantinedByRule: { column_count: 1 } } },
  },
];

describe('malformed corpus: every file ends in a clear outcome, nothing lost', () => {
  let local: Local;
  beforeEach(async () => {
    local = await tempLake();
  });
  afterEach(() => local.cleanup());

  it.each(CORPUS.map((file) => [file.name, file] as const))('%s', async (_name, file) => {
    const key = `corpus/${file.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.csv`;
    await landRaw(local, key, file.content);
    const manifest = await processObject(key, CONTRACT, local.lake);

    expect(manifest.rowsRead).toBe(manifest.rowsWritten + manifest.rowsQuarantined);
    expect(manifest.outputs.reduce((sum, o) => sum + o.rows, 0)).toBe(manifest.rowsWritten);
    if ('rejected' in file.expected) {
      expect(manifest.outcome).toBe('rejected');
      expect(manifest.rejectReason).toMatch(file.expected.rejected);
      expect(manifest.rejectReason!.startsWith(`${key}: `)).toBe(true);
      expect(manifest.rejectReason).not.toMatch(/[\r\n]/);
      expect(manifest).toMatchObject({ rowsWritten: 0, outputs: [] });
      const kept = await readFile(local.lake.quarantine.locationOf(manifest.quarantineFile!));
      expect(kept.equals(Buffer.from(file.content))).toBe(true);
      expect(await local.lake.processed.list('tables/')).toEqual([]);
    } else {
      expect(manifest.rejectReason).toBeUndefined();
      expect(manifest.outcome).toBe('ok');
      expect(manifest.rowsWritten).toBe(file.expected.ok.written);
      expect(manifest.quarantinedByRule).toEqual(file.expected.ok.quarantinedByRule);
      expect((await quarantined(local, manifest)).length).toBe(manifest.rowsQuarantined);
    }
    await file.then?.(local, manifest);
  });
});
