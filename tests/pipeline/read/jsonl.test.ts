import { gzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { frameJsonRecords, parsePath, MAX_DEPTH } from '../../../src/pipeline/read/jsonl.js';
import { ingestObject } from '../../../src/pipeline/run/ingest.js';
import { contractFrom, expectNothingLost, landRaw, readText, tempLake } from '../../support/local.js';

async function* bytesOf(...pieces: Array<string | Uint8Array>) {
  for (const piece of pieces) yield typeof piece === 'string' ? new TextEncoder().encode(piece) : piece;
}

async function frames(...pieces: string[]) {
  const out = [];
  for await (const batch of frameJsonRecords(bytesOf(...pieces), { fileName: 'f.jsonl', batchSize: 2 })) out.push(...batch);
  return out;
}

const CONTRACT = `
name: events
source: { prefix: events/, format: jsonl }
columns:
  - { name: event_id, type: bigint, required: true }
  - { name: user_name, type: string }
  - { name: amount, type: "decimal(38,10)" }
  - { name: mag, source: properties.mag, type: double }
  - { name: lat, source: "geometry.coordinates[1]", type: double }
  - { name: context, type: json }
  - { name: happened_at, type: timestamp, format: epoch_ms, required: true }
  - { name: ok, type: boolean }
primary_key: [event_id]
partition_by: { column: happened_at, layout: year_month_day }
`;

async function readParquetRows(local: Awaited<ReturnType<typeof tempLake>>, keys: string[]) {
  const rows: Record<string, unknown>[] = [];
  for (const key of keys) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await local.lake.processed.read(key)) chunks.push(chunk);
    const buffer = Buffer.concat(chunks);
    rows.push(...((await parquetReadObjects({ file: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer })) as Record<string, unknown>[]));
  }
  return rows;
}

describe('JSON-lines framing', () => {
  it('frames NDJSON (LF, CRLF, blank lines, BOM) and concatenated objects, across pieces', async () => {
    const out = await frames('\uFEFF{"a":1}\r\n\n{"b":"x}{', '\\"y"}{"c":[1,{"d":2}]}\n  {"e":', '3}');
    expect(out.map((r) => [r.line, r.text, r.broken])).toEqual([
      [1, '{"a":1}', undefined],
      [3, '{"b":"x}{\\"y"}', undefined],
      [3, '{"c":[1,{"d":2}]}', undefined],
      [4, '{"e":3}', undefined],
    ]);
  });

  it('ends a record at a line break, so a broken line never swallows the next', async () => {
    const out = await frames('{"a":1\n{"b":"open\n42\n{"c":1}');
    expect(out.map((r) => [r.line, r.text, r.broken !== undefined])).toEqual([
      [1, '{"a":1', true],
      [2, '{"b":"open', true],
      [3, '42', true],
      [4, '{"c":1}', false],
    ]);
  });

  it('marks records nested past the limit without recursing', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const out = await frames(deep);
    expect(out[0]!.broken).toBe(`nested deeper than ${MAX_DEPTH} levels`);
  });

  it('parses paths', () => {
    expect(parsePath('geometry.coordinates[1]')).toEqual(['geometry', 'coordinates', 1]);
    expect(parsePath('properties.mag')).toEqual(['properties', 'mag']);
    expect(parsePath('Release Date')).toEqual(['Release Date']);
    expect(parsePath('a..b')).toBeUndefined();
  });
});

describe('JSON-lines ingest', () => {
  it('lands exact numbers, paths, json columns and casts; bad lines are quarantined with their text', async () => {
    const local = await tempLake();
    try {
      const contract = contractFrom(CONTRACT);
      const lines = [
        '{"event_id": 9007199254740993, "User Name": "ann", "amount": 12345678901234567890.0123456789, "properties": {"mag": 4.5}, "geometry": {"coordinates": [10.5, -33.25]}, "context": {"ua": "x", "n": 12345678901234567890}, "happened_at": 1709622753123, "ok": true, "extra": 1}',
        '{"event_id": "2", "user_name": 1776, "happened_at": "1709622753000", "ok": false, "context": [1, 2]}',
        '{"event_id": 3, "happened_at": 1709622753000',
        '[1, 2]',
        'NaN',
        '{"event_id": 4, "happened_at": "not a time"}',
        '{"event_id": 2, "happened_at": 1709622753000}',
      ];
      await landRaw(local, 'events/2024/03/05/07/batch-1', gzipSync(lines.join('\n') + '\n'));
      const result = await ingestObject('events/2024/03/05/07/batch-1', { ...local, contracts: [contract] });
      if (result.status !== 'processed') throw new Error(JSON.stringify(result));
      const m = result.manifest;
      expectNothingLost(m);
      expect(m).toMatchObject({ rowsRead: 7, rowsWritten: 2, rowsQuarantined: 5, quarantinedByRule: { malformed: 3, cast: 1, unique: 1 } });
      expect(m.warnings).toContain('ignored field not in the contract: extra');
      const rows = await readParquetRows(local, m.outputs.map((o) => o.key));
      rows.sort((a, b) => Number(a.event_id) - Number(b.event_id));
      expect(rows[0]).toMatchObject({ event_id: 2n, user_name: '1776', ok: false, context: '[1,2]', mag: null });
      expect(rows[1]).toMatchObject({ event_id: 9007199254740993n, user_name: 'ann', mag: 4.5, lat: -33.25, ok: true, context: '{"ua":"x","n":12345678901234567890}' });
      const quarantine = (await readText(local, 'quarantine', m.quarantineFile!)).trimEnd().split('\n');
      expect(quarantine).toHaveLength(5);
      expect(quarantine[0]).toBe(
        `{"_error_rule":"malformed","_error_column":"","_error_value":${JSON.stringify(lines[2])},"_error_message":"line 3: the record ends before its brackets close (truncated?)","_source_line":3,"_record_text":${JSON.stringify(lines[2])}}`,
      );
      expect(quarantine[1]).toMatch(/"_source_line":4,"_record":\[1, 2\]\}$/);
      expect(quarantine[3]).toMatch(/^\{"_error_rule":"cast","_error_column":"happened_at".*"_record":\{"event_id": 4, "happened_at": "not a time"\}\}$/);
    } finally {
      await local.cleanup();
    }
  });

  it('quarantines a record escaping half a surrogate pair (UTF-8 cannot hold it) instead of writing U+FFFD; a whole pair is a character', async () => {
    for (const flat of [true, false]) {
      const local = await tempLake();
      try {
        const contract = contractFrom(CONTRACT);
        // Flat records take the one-pass reader; a nested field sends the same records through the exact parser.
        const extra = flat ? '' : ', "properties": {"mag": 1.5}';
        const lines = [
          `{"event_id": 1, "user_name": "a\\ud800b", "happened_at": 1709622753000${extra}}`,
          `{"event_id": 2, "user_name": "\\ud83d\\ude00 ok", "happened_at": 1709622753000${extra}}`,
          `{"event_id": 3, "user_name": "\\udc00", "happened_at": 1709622753000${extra}}`,
        ];
        await landRaw(local, 'events/2024/03/05/07/batch-2', lines.join('\n') + '\n');
        const result = await ingestObject('events/2024/03/05/07/batch-2', { ...local, contracts: [contract] });
        if (result.status !== 'processed') throw new Error(JSON.stringify(result));
        expectNothingLost(result.manifest);
        expect(result.manifest).toMatchObject({ rowsRead: 3, rowsWritten: 1, quarantinedByRule: { malformed: 2 } });
        const rows = await readParquetRows(local, result.manifest.outputs.map((o) => o.key));
        expect(rows.map((r) => r.user_name)).toEqual(['\u{1F600} ok']);
        const quarantine = (await readText(local, 'quarantine', result.manifest.quarantineFile!)).trimEnd().split('\n');
        expect(quarantine).toHaveLength(2);
        expect(quarantine[0]).toContain('line 1: user_name: a \\\\u escape of half a surrogate pair');
        expect(quarantine[0]).toContain(JSON.stringify(lines[0]).slice(1, -1));
      } finally {
        await local.cleanup();
      }
    }
  });
});
