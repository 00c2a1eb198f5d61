import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { readFile } from 'node:fs/promises';
import { processObject } from '../../../src/pipeline/run/run.js';
import { processObjectInRanges, rangesInProcess } from '../../../src/pipeline/run/ranged-run.js';
import { planRanges } from '../../../src/pipeline/run/range-plan.js';
import type { DatasetContract } from '../../../src/pipeline/contract/contract.js';
import type { RunManifest } from '../../../src/pipeline/contract/run-manifest.js';
import { contractFrom, expectNothingLost, landRaw, readText, tempLake } from '../../support/local.js';

type Lake = Awaited<ReturnType<typeof tempLake>>;

const contractYaml = (maxErrorRatio: number, key: string) => `
name: orders
source: { prefix: orders/ }
columns:
  - { name: id, type: bigint, required: true }
  - { name: customer, type: string, required: true }
  - { name: qty, type: int, required: true, min: 0 }
  - { name: day, type: date, required: true }
  - { name: note, type: string }
primary_key: [${key}]
partition_by: { column: day }
file: { max_error_ratio: ${maxErrorRatio} }
row_group_size: 100
`;

/** What a run left in the lake, with what may differ between a serial and a ranged run taken out: file names
 * (one file per partition and range) and timings. The rows are each partition's files read in key order. */
async function snapshot(local: Lake, manifest: RunManifest) {
  const { startedAt, durationMs, outputs, bytesOut, ...rest } = manifest;
  void startedAt, durationMs, bytesOut;
  const rows: Record<string, unknown[]> = {};
  const rowsPerPartition: Record<string, number> = {};
  for (const output of [...outputs].sort((a, b) => a.key.localeCompare(b.key))) {
    const bytes = await readFile(local.lake.processed.locationOf(output.key));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    // _ingested_at is the raw object's write time, which differs between the two lakes by construction.
    (rows[output.partition] ??= []).push(...(await parquetReadObjects({ file })).map(({ _ingested_at, ...row }) => (void _ingested_at, row)));
    rowsPerPartition[output.partition] = (rowsPerPartition[output.partition] ?? 0) + output.rows;
  }
  const quarantine = manifest.quarantineFile ? await readText(local, 'quarantine', manifest.quarantineFile) : undefined;
  const zones = await Promise.all(
    (['processed', 'quarantine'] as const).map(async (zone) =>
      (await local.lake[zone].list('')).map((o) => `${zone}/${o.key}`.replace(/-r\d{4}\.parquet$/, '.parquet')),
    ),
  );
  const saved = JSON.parse(await readText(local, 'processed', (await local.lake.processed.list('manifests/'))[0]!.key)) as RunManifest;
  return { manifest: rest, rows, rowsPerPartition, quarantine, keys: [...new Set(zones.flat())].sort(), savedRows: saved.rowsWritten };
}

async function runBoth(text: string, contract: DatasetContract, parts: number, minRangeBytes: number, key = 'orders/a.csv') {
  const serial = await tempLake();
  const ranged = await tempLake();
  try {
    await landRaw(serial, key, text);
    await landRaw(ranged, key, text);
    const one = await processObject(key, contract, serial.lake);
    const many = await processObjectInRanges(key, contract, ranged.lake, { parts, minRangeBytes, run: rangesInProcess(ranged.lake, {}, 2) });
    expectNothingLost(many);
    const tasks = await planRanges(key, contract, ranged.lake, { parts, minRangeBytes });
    // Converted in ranges, not read whole after a range found fault: its files are named for their ranges.
    const inRanges = many.outputs.some((o) => /-r\d{4}\.parquet$/.test(o.key));
    return { serial: await snapshot(serial, one), ranged: await snapshot(ranged, many), ranges: inRanges ? tasks!.length : 1, planned: tasks?.length ?? 1 };
  } finally {
    await Promise.all([serial.cleanup(), ranged.cleanup()]);
  }
}

const text = fc.oneof(
  fc.stringMatching(/^[a-z ]{0,5}$/),
  fc.array(fc.constantFrom('x', ',', '\n', '\r\n', '""', 'ü', ' '), { minLength: 1, maxLength: 6 }).map((p) => `"${p.join('')}"`),
);
const rare = <T,>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: odd, weight: 1 });
const row = fc.tuple(
  fc.integer({ min: 1, max: 40 }),
  rare(text.filter((t) => t.trim() !== '' && t !== '""'), fc.constant('')),
  rare(fc.integer({ min: 0, max: 9 }).map(String), fc.constantFrom('many', '-1')),
  rare(fc.constantFrom('2024-01-01', '2024-01-02', '2024-01-03'), fc.constant('2024-13-01')),
  text,
);
const csvFile = fc
  .tuple(fc.array(row, { minLength: 3, maxLength: 60 }), fc.constantFrom('\n', '\r\n'))
  .map(([rows, end]) => ['id,customer,qty,day,note', ...rows.map((r) => r.join(','))].join(end) + end);

describe('a file converted in byte ranges', () => {
  it('leaves the same lake as the serial run: rows, quarantine, manifest (fast-check, quoted newlines near cuts)', async () => {
    let cut = 0;
    await fc.assert(
      fc.asyncProperty(
        csvFile,
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 10, max: 150 }),
        fc.constantFrom(1, 0.5),
        fc.constantFrom('id', 'id, customer'),
        async (file, parts, minRangeBytes, ratio, key) => {
          const { serial, ranged, ranges } = await runBoth(file, contractFrom(contractYaml(ratio, key)), parts, minRangeBytes);
          if (ranges > 1) cut++;
          expect(ranged).toEqual(serial);
        },
      ),
      { numRuns: 120 },
    );
    expect(cut).toBeGreaterThan(60);
  });

  it('keeps the first occurrence in file order when a key repeats across ranges, with the earlier line', async () => {
    const lines = ['id,customer,qty,day,note'];
    for (let i = 1; i <= 40; i++) lines.push(`${i % 7},c${i},1,2024-01-0${1 + (i % 3)},"note\n${i}"`);
    const { serial, ranged, ranges } = await runBoth(lines.join('\n') + '\n', contractFrom(contractYaml(1, 'id')), 4, 100);
    expect(ranges).toBe(4);
    expect(ranged.manifest.quarantinedByRule).toEqual({ unique: 33 });
    expect(ranged.quarantine).toContain('duplicate id 0 (first seen on line 14)');
    expect(ranged).toEqual(serial);
  });

  it('reads a gzip file, a small file and a malformed file whole, exactly as the serial run', async () => {
    const { gzipSync } = await import('node:zlib');
    const contract = contractFrom(contractYaml(1, 'id'));
    const body = ['id,customer,qty,day,note', ...Array.from({ length: 50 }, (_, i) => `${i},c,1,2024-01-01,`)].join('\n');
    const local = await tempLake();
    try {
      await landRaw(local, 'orders/a.csv.gz', gzipSync(body));
      // A quote opened early and never closed: no cut can be made after it, and the file is read to its end.
      await landRaw(local, 'orders/b.csv', body.replace('\n3,c,', '\n3,"c,'));
      await landRaw(local, 'orders/c.csv', body);
      expect(await planRanges('orders/a.csv.gz', contract, local.lake, { parts: 4, minRangeBytes: 10 })).toBeUndefined();
      expect(await planRanges('orders/b.csv', contract, local.lake, { parts: 4, minRangeBytes: 10 })).toBeUndefined();
      expect(await planRanges('orders/c.csv', contract, local.lake, { parts: 4, minRangeBytes: 10_000 })).toBeUndefined();
      expect((await planRanges('orders/c.csv', contract, local.lake, { parts: 4, minRangeBytes: 10 }))?.length).toBe(4);
    } finally {
      await local.cleanup();
    }
  });

  it('cuts a file whose fault lies after the last cut, reading only up to that cut; the lake is the serial run’s', async () => {
    const body = ['id,customer,qty,day,note', ...Array.from({ length: 400 }, (_, i) => `${i},c${i},1,2024-01-01,`)].join('\n');
    for (const tail of ['\n401,"open,1,2024-01-01,\n', '\n401,"x"y,1,2024-01-01,\n']) {
      const { serial, ranged, planned } = await runBoth(body + tail, contractFrom(contractYaml(0.5, 'id')), 4, 1000);
      expect(planned).toBe(4);
      expect(ranged).toEqual(serial);
    }
  });

  it('rejects a file a range finds fault with exactly as the serial run does (not UTF-8 in a later range)', async () => {
    // Past the first MiB, so the header is read before the bad byte is met.
    const body = ['id,customer,qty,day,note', ...Array.from({ length: 60_000 }, (_, i) => `${i},c,1,2024-01-01,`)].join('\n') + '\n';
    const bad = Buffer.concat([Buffer.from(body), Buffer.from([0x35, 0x31, 0x2c, 0xff, 0x2c, 0x31, 0x0a])]);
    const { serial, ranged, planned } = await runBoth(bad as unknown as string, contractFrom(contractYaml(1, 'id')), 4, 100_000);
    expect(planned).toBe(4);
    expect(ranged.manifest.outcome).toBe('rejected');
    expect(ranged).toEqual(serial);
  });
});

const jsonlContractYaml = (maxErrorRatio: number, key: string) => contractYaml(maxErrorRatio, key).replace('source: { prefix: orders/ }', 'source: { prefix: orders/, format: jsonl }');

/** A record: mostly objects (some with fields no column reads, some with bad values), now and then one that is not. */
const jsonRecord = rare(
  fc
    .record(
      {
        id: fc.integer({ min: 1, max: 40 }),
        customer: rare(fc.stringMatching(/^[a-zü "\\]{1,5}$/), fc.constant('')),
        qty: rare(fc.integer({ min: 0, max: 9 }), fc.constantFrom('many', -1)),
        day: rare(fc.constantFrom('2024-01-01', '2024-01-02', '2024-01-03'), fc.constant('2024-13-01')),
        note: fc.oneof(fc.string({ maxLength: 4 }), fc.constant('a\nb\r\nc'), fc.constant(null)),
        // Enough names that ranges see different ones and the warning's first 20 and `and N more` are tested.
        extra: fc.constantFrom(...Array.from({ length: 30 }, (_, i) => `x${i}`)),
      },
      { requiredKeys: ['id', 'day'] },
    )
    .map(({ extra, ...fields }) => JSON.stringify(extra === undefined ? fields : { ...fields, [extra]: 1 })),
  fc.constantFrom('{"id":1,', '"bare"', '[1,2]', '{"id":2,"day":"2024-01-01"}{"id":3,"day":"2024-01-02"}', 'not json', '{"id":"x\\"}', '{"id":1,"day":"2024-01-01"} x'),
);
const jsonlFile = fc
  .tuple(
    fc.array(fc.tuple(jsonRecord, fc.constantFrom('\n', '\r\n', '\n\n', '\n \r\n')), { minLength: 3, maxLength: 60 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([records, bom, lastEnd]) => (bom ? '\ufeff' : '') + records.map(([r, end], i) => r + (i < records.length - 1 || lastEnd ? end : '')).join(''));

describe('a JSON-lines file converted in byte ranges', () => {
  it('leaves the same lake as the serial run: rows, quarantine, manifest and warnings (fast-check, bad records and CRLF near cuts)', async () => {
    let cut = 0;
    await fc.assert(
      fc.asyncProperty(
        jsonlFile,
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 10, max: 150 }),
        fc.constantFrom(1, 0.5),
        fc.constantFrom('id', 'id, customer'),
        async (file, parts, minRangeBytes, ratio, key) => {
          const { serial, ranged, ranges } = await runBoth(file, contractFrom(jsonlContractYaml(ratio, key)), parts, minRangeBytes, 'orders/a.jsonl');
          if (ranges > 1) cut++;
          expect(ranged).toEqual(serial);
        },
      ),
      { numRuns: 120 },
    );
    expect(cut).toBeGreaterThan(60);
  });

  it('keeps the first occurrence in file order across ranges, joins the quarantine with no header, words one warning', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i % 7, customer: `c${i}`, qty: 1, day: `2024-01-0${1 + (i % 3)}`, [`extra${i % 25}`]: i }));
    const { serial, ranged, ranges } = await runBoth(lines.join('\r\n') + '\r\n', contractFrom(jsonlContractYaml(1, 'id')), 4, 100, 'orders/a.jsonl');
    expect(ranges).toBe(4);
    expect(ranged.manifest.quarantinedByRule).toEqual({ unique: 33 });
    expect(ranged.manifest.quarantineFile).toMatch(/\.jsonl$/);
    expect(ranged.quarantine!.split('\n')[0]).toContain('"_source_line":8,"_record":{"id":0,');
    expect(ranged.quarantine).toContain('duplicate id 0 (first seen on line 1)');
    expect(ranged.manifest.warnings).toEqual([`ignored fields not in the contract: ${Array.from({ length: 20 }, (_, i) => `extra${i}`).join(', ')} and 5 more`]);
    expect(ranged.keys.filter((k) => k.includes('_ranges'))).toEqual([]);
    expect(ranged).toEqual(serial);
  });

  it('ends a record at a line feed right after a backslash in a string, as the cut there does', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: i, customer: `c${i}`, qty: 1, day: '2024-01-01' }));
    lines[5] = '{"id": 5, "customer": "broken \\';
    lines[6] = 'still", "qty": 1, "day": "2024-01-01"}';
    const file = lines.join('\n') + '\n';
    // Every minimum range size from a few records to one: some cut falls on the line feed after the backslash.
    for (const minRangeBytes of [20, 40, 60, 80, 120, 200]) {
      const { serial, ranged } = await runBoth(file, contractFrom(jsonlContractYaml(1, 'id')), 8, minRangeBytes, 'orders/a.jsonl');
      expect(ranged).toEqual(serial);
      expect(serial.manifest.rowsRead).toBe(12);
    }
  });

  it('reads a gzip file and a file without line feeds whole; cuts a plain one', async () => {
    const { gzipSync } = await import('node:zlib');
    const contract = contractFrom(jsonlContractYaml(1, 'id'));
    const records = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, customer: 'c', qty: 1, day: '2024-01-01' }));
    const local = await tempLake();
    try {
      await landRaw(local, 'orders/a.jsonl.gz', gzipSync(records.join('\n')));
      await landRaw(local, 'orders/b.jsonl', records.join(''));
      await landRaw(local, 'orders/c.jsonl', records.join('\n'));
      expect(await planRanges('orders/a.jsonl.gz', contract, local.lake, { parts: 4, minRangeBytes: 10 })).toBeUndefined();
      expect(await planRanges('orders/b.jsonl', contract, local.lake, { parts: 4, minRangeBytes: 10 })).toBeUndefined();
      const tasks = await planRanges('orders/c.jsonl', contract, local.lake, { parts: 4, minRangeBytes: 10 });
      const text = records.join('\n');
      expect(tasks?.length).toBe(4);
      // Each range starts just after a line feed, on the line the whole file numbers it, and has no header.
      for (const task of tasks!) {
        expect(task.header).toEqual([]);
        expect(task.start === 0 || text[task.start - 1] === '\n').toBe(true);
        expect(task.line).toBe(text.slice(0, task.start).split('\n').length);
      }
      expect(tasks!.map((t) => t.end)).toEqual([...tasks!.slice(1).map((t) => t.start), text.length]);
    } finally {
      await local.cleanup();
    }
  });

  it('rejects a file a range finds fault with exactly as the serial run does (not UTF-8 in a later range)', async () => {
    const body = Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ id: i, customer: 'c', qty: 1, day: '2024-01-01' })).join('\n') + '\n';
    const bad = Buffer.concat([Buffer.from(body), Buffer.from('{"id":1,"customer":"'), Buffer.from([0xff]), Buffer.from('"}\n')]);
    const contract = contractFrom(jsonlContractYaml(1, 'id'));
    const { serial, ranged, planned } = await runBoth(bad as unknown as string, contract, 4, 1_000, 'orders/a.jsonl');
    expect(planned).toBe(4);
    expect(ranged.manifest.outcome).toBe('rejected');
    expect(ranged.manifest.rejectReason).toMatch(/line 2001, byte \d+/);
    expect(ranged).toEqual(serial);
    // The fan-out rejects with the range's own reason (the file is too big to read whole): it reads as the serial one.
    const local = await tempLake();
    try {
      await landRaw(local, 'orders/a.jsonl', bad);
      const setup = { parts: 4, minRangeBytes: 1_000, run: rangesInProcess(local.lake), onInputError: 'reject' as const };
      const rejected = await processObjectInRanges('orders/a.jsonl', contract, local.lake, setup);
      expect(rejected.rejectReason).toBe(serial.manifest.rejectReason);
    } finally {
      await local.cleanup();
    }
  });
});
