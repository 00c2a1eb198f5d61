import type { RunNotice } from '../../../src/pipeline/contract/ports.js';
import type { RunManifest } from '../../../src/pipeline/contract/run-manifest.js';
import { MAX_NOTICE_BYTES, noticeMessage } from '../../../src/pipeline/run/notice-message.js';

function notice(outputs: number, keyPadding = 0): RunNotice {
  const partitions = Array.from({ length: outputs }, (_, i) => `order_date=${new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10)}/`);
  const manifest: RunManifest = {
    dataset: 'sales_orders',
    table: 'sales_orders',
    source: 'sales/orders/decade.csv',
    outcome: 'ok',
    rowsRead: outputs,
    rowsWritten: outputs,
    rowsQuarantined: 0,
    quarantinedByRule: {},
    bytesIn: 512,
    bytesOut: 1024 * outputs,
    partitions,
    outputs: partitions.map((partition) => ({ key: `sales_orders/${partition}part-é${'x'.repeat(keyPadding)}.parquet`, partition, rows: 1, bytes: 1024 })),
    warnings: [],
    startedAt: '2024-02-01T00:00:00.000Z',
    durationMs: 1234,
  };
  return { status: 'SUCCEEDED', dataset: 'sales_orders', source: '/lake/raw/sales/orders/decade.csv', manifest };
}

/** The rule itself: the whole notice when it (without what is added locally) fits, else the counts without the lists. */
function byTheRule(n: RunNotice, extra: Record<string, unknown>): string {
  if (Buffer.byteLength(JSON.stringify(n), 'utf8') <= MAX_NOTICE_BYTES) return JSON.stringify({ ...extra, ...n });
  return JSON.stringify({ ...extra, ...n, manifest: { ...n.manifest!, partitions: [], outputs: [] }, truncated: true });
}

describe('noticeMessage', () => {
  it('is the whole notice while it fits, after what is given first', () => {
    const small = notice(3);
    expect(JSON.parse(noticeMessage(small, { publishedAt: 'now' }))).toEqual({ publishedAt: 'now', ...small });
    expect(Object.keys(JSON.parse(noticeMessage(small, { publishedAt: 'now' })))[0]).toBe('publishedAt');
  });

  it('drops the file lists of a manifest too large for SNS, keeping the counts, and fits', () => {
    const large = notice(20_000);
    const message = noticeMessage(large);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_NOTICE_BYTES);
    expect(JSON.parse(message)).toEqual({ ...large, manifest: { ...large.manifest, partitions: [], outputs: [] }, truncated: true });
  });

  it('decides as the whole text would, next to the limit too (keys of several-byte characters, padding on either side)', () => {
    // Where the whole notice crosses the limit: entries of ~145 bytes, about 1,780 of them.
    for (const outputs of [1600, 1740, 1760, 1770, 1775, 1780, 1785, 1790, 1800, 1900]) {
      for (const padding of [0, 3, 7]) {
        const n = notice(outputs, padding);
        expect(noticeMessage(n, { publishedAt: 't' })).toBe(byTheRule(n, { publishedAt: 't' }));
        expect(noticeMessage(n)).toBe(byTheRule(n, {}));
      }
    }
    const sizes = [1600, 1900].map((n) => Buffer.byteLength(JSON.stringify(notice(n))));
    expect(sizes[0]).toBeLessThan(MAX_NOTICE_BYTES);
    expect(sizes[1]).toBeGreaterThan(MAX_NOTICE_BYTES);
  });

  it('keeps a notice that fits whole when what is added locally would tip it over', () => {
    // Grown to just under the limit on its own.
    const n = notice(1);
    n.error = 'x'.repeat(MAX_NOTICE_BYTES - Buffer.byteLength(JSON.stringify({ ...n, error: '' })));
    expect(Buffer.byteLength(JSON.stringify(n))).toBe(MAX_NOTICE_BYTES);
    expect(JSON.parse(noticeMessage(n, { publishedAt: '2026-12-06T00:00:00.000Z' }))).toEqual({ publishedAt: '2026-12-06T00:00:00.000Z', ...n });
    expect(JSON.parse(noticeMessage({ ...n, error: `${n.error}x` })).truncated).toBe(true);
  });
});
