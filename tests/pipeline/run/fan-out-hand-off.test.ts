import fc from 'fast-check';
import { executionName, handsOff } from '../../../src/pipeline/run/fan-out-hand-off.js';

/** Step Functions' rule for execution names (1–80 characters, none of its forbidden ones), kept to [A-Za-z0-9_-]. */
const VALID_NAME = /^[A-Za-z0-9_-]{1,80}$/;

describe('the fan-out hand-off', () => {
  it('hands off only objects above the threshold, and none at a threshold of 0', () => {
    expect(handsOff(4 * 1024 ** 3 + 1, 4 * 1024 ** 3)).toBe(true);
    expect(handsOff(4 * 1024 ** 3, 4 * 1024 ** 3)).toBe(false);
    expect(handsOff(10, 0)).toBe(false);
    expect(handsOff(0, 1)).toBe(false);
  });

  it('names one upload the same way every time, and another upload of the key otherwise', () => {
    const upload = { key: 'sales/orders/big.csv', eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0065A1B2C3D4E5F601' };
    expect(executionName(upload)).toBe(executionName({ ...upload }));
    expect(executionName(upload)).toMatch(/^sales-orders-big-csv-[0-9a-f]{32}$/);
    expect(executionName({ ...upload, sequencer: '0065A1B2C3D4E5F602' })).not.toBe(executionName(upload));
    expect(executionName({ ...upload, versionId: 'v2' })).not.toBe(executionName(upload));
    expect(executionName({ ...upload, key: 'sales/orders/big2.csv' })).not.toBe(executionName(upload));
    // S3 quotes the ETag in HEAD and listings, not in events: the same upload either way.
    expect(executionName({ ...upload, eTag: `"${upload.eTag}"` })).toBe(executionName(upload));
    const listed = { key: upload.key, lastModified: new Date('2024-05-01T10:00:00Z') };
    expect(executionName(listed)).not.toBe(executionName({ ...listed, lastModified: new Date('2024-05-01T10:00:01Z') }));
  });

  it('keeps the end of a long key readable within 80 characters', () => {
    const key = `${'deep/'.repeat(40)}orders 2024 Q1 (final).csv`;
    const name = executionName({ key, eTag: 'x' });
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/orders-2024-Q1-final-csv-[0-9a-f]{32}$/);
    expect(executionName({ key: '()[]{}.csv'.replace('.csv', '') })).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives every key a name Step Functions accepts, different for different keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 1024 }), fc.string({ maxLength: 40 }), (key, eTag) => {
        const name = executionName({ key, eTag });
        expect(name).toMatch(VALID_NAME);
        expect(executionName({ key: `${key}x`, eTag })).not.toBe(name);
      }),
    );
  });
});
