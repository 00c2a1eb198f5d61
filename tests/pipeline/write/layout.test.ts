import { parquetKey, parquetKeysFor, quarantineKey, sourceManifestKey, sourceStem } from '../../../src/pipeline/write/layout.js';

describe('lake naming', () => {
  it('derives file names from the source key alone, so a re-run overwrites', () => {
    expect(sourceStem('sales/orders/day1.csv')).toBe(sourceStem('sales/orders/day1.csv'));
    expect(parquetKey('sales_orders', 'order_date=2024-03-01/', 'sales/orders/day1.csv')).toMatch(
      /^tables\/sales_orders\/order_date=2024-03-01\/day1-[0-9a-f]{8}\.parquet$/,
    );
  });

  it("names a byte range's file after the source and the range, the same for every partition", () => {
    const keys = parquetKeysFor('sales_orders', 'sales/orders/day1.csv', 3);
    expect(keys('order_date=2024-03-01/')).toBe(parquetKey('sales_orders', 'order_date=2024-03-01/', 'sales/orders/day1.csv').replace('.parquet', '-r0003.parquet'));
    expect(parquetKeysFor('sales_orders', 'sales/orders/day1.csv')('')).toBe(parquetKey('sales_orders', '', 'sales/orders/day1.csv'));
  });

  it('gives different sources with the same file name different names', () => {
    expect(sourceStem('sales/orders/a/day1.csv')).not.toBe(sourceStem('sales/orders/b/day1.csv'));
  });

  it('keeps names readable and path-safe', () => {
    expect(sourceStem('sales/orders/2024 Q1 (final).CSV')).toMatch(/^2024_q1_final-[0-9a-f]{8}$/);
    expect(quarantineKey('t', 'x/../../etc/passwd')).toMatch(/^t\/passwd-[0-9a-f]{8}\.csv$/);
    expect(sourceManifestKey('t', 'a.csv')).toMatch(/^manifests\/t\/a-[0-9a-f]{8}\.json$/);
  });
});
