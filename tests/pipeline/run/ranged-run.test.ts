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

async function runBoth(text: string, contract: DatasetContract, parts: number, minRangeBytes: number) {
  const serial = await tempLake();
  const ranged = await tempLake();
  try {
    await landRaw(serial, 'orders/a.csv', text);
    await landRaw(ranged, 'orders/a.csv', text);
    const one = await processObject('orders/a.csv', contract, serial.lake);
    const many = await processObjectInRanges('orders/a.csv', contract, ranged.lake, { parts, minRangeBytes, run: rangesInProcess(ranged.lake, {}, 2) });
    expectNothingLost(many);
    const tasks = await planRanges('orders/a.csv', contract, ranged.lake, { parts, minRangeBytes });
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
      await landRaw(local, 'orders/b.csv', `${body}\n51,"open,1,2024-01-01,\n`);
      await landRaw(local, 'orders/c.csv', body);
      expect(await planRanges('orders/a.csv.gz', contract, local.lake, { parts: 4, minRangeBytes: 10 })).toBeUndefined();
      expect(await planRanges('orders/b.csv', contract, local.lake, { parts: 4, minRangeBytes: 10 })).toBeUndefined();
      expect(await planRanges('orders/c.csv', contract, local.lake, { parts: 4, minRangeBytes: 10_000 })).toBeUndefined();
      expect((await planRanges('orders/c.csv', contract, local.lake, { parts: 4, minRangeBytes: 10 }))?.length).toBe(4);
    } finally {
      await local.cleanup();
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
