import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileNotifier } from '../../../src/adapters/local/file-notifier.js';
import type { RunNotice } from '../../../src/pipeline/contract/ports.js';
import { MAX_NOTICE_BYTES } from '../../../src/pipeline/run/notice-message.js';

describe('FileNotifier', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'glueless-notices-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('appends one line a notice, the message SNS would carry, with when it was published', async () => {
    const file = path.join(dir, 'lake', 'notices.jsonl');
    const notifier = new FileNotifier(file);
    const partitions = Array.from({ length: 5000 }, (_, i) => `order_date=${new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10)}/`);
    const large: RunNotice = {
      status: 'SUCCEEDED',
      dataset: 'sales_orders',
      source: '/lake/raw/decade.csv',
      manifest: {
        dataset: 'sales_orders', table: 'sales_orders', source: 'decade.csv', outcome: 'ok', rowsRead: 5000, rowsWritten: 5000,
        rowsQuarantined: 0, quarantinedByRule: {}, bytesIn: 1, bytesOut: 2, partitions,
        outputs: partitions.map((partition) => ({ key: `sales_orders/${partition}part.parquet`, partition, rows: 1, bytes: 900 })),
        warnings: [], startedAt: '2024-02-01T00:00:00.000Z', durationMs: 1,
      },
    };
    await notifier.publish({ status: 'FAILED', dataset: 'sales_orders', source: '/lake/raw/bad.csv', error: 'bad.csv: line 3: no order_id' });
    await notifier.publish(large);

    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const [failed, succeeded] = lines.slice(0, 2).map((line) => JSON.parse(line));
    expect(failed).toEqual({ publishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), status: 'FAILED', dataset: 'sales_orders', source: '/lake/raw/bad.csv', error: 'bad.csv: line 3: no order_id' });
    expect(Buffer.byteLength(lines[1]!)).toBeLessThanOrEqual(MAX_NOTICE_BYTES);
    expect(succeeded).toEqual({ publishedAt: expect.any(String), ...large, manifest: { ...large.manifest, partitions: [], outputs: [] }, truncated: true });
  });
});
