import { processObject } from '../../../src/pipeline/run/run.js';
import { planRanges } from '../../../src/pipeline/run/range-plan.js';
import { isTransientError, retryingCatalog, retryingLake, withRetries, type RetryPolicy } from '../../../src/pipeline/run/retry.js';
import type { Catalog, Lake, ObjectStore } from '../../../src/pipeline/contract/ports.js';
import { landRaw, salesContract, tempLake } from '../../support/local.js';

const slowDown = () => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
const tooMany = () => Object.assign(new Error('Too many requests'), { name: 'TooManyRequestsException' });

const instant: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, sleep: async () => undefined };

/** An ObjectStore that fails the first `times` calls of `method` with `fault`, then behaves. */
function faulty(store: ObjectStore, method: keyof ObjectStore, times: number, fault: () => Error): ObjectStore & { calls: number } {
  const wrapper = Object.create(store) as ObjectStore & { calls: number };
  wrapper.calls = 0;
  const original = (store[method] as (...args: unknown[]) => unknown).bind(store);
  (wrapper as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    wrapper.calls++;
    if (wrapper.calls <= times) throw fault();
    return original(...args);
  };
  return wrapper;
}

describe('retries of transient AWS faults', () => {
  it('knows throttling and 5xx from permanent errors', () => {
    expect([slowDown(), throttled(), tooMany()].map(isTransientError)).toEqual([true, true, true]);
    expect(isTransientError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe(false);
    expect(isTransientError(new Error('bug'))).toBe(false);
  });

  it('retries with full-jitter exponential backoff and then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        if (++calls < 4) throw slowDown();
        return 'ok';
      },
      { ...instant, random: () => 0.999, onRetry: (_e, _a, delay) => delays.push(delay) },
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([99, 199, 399]);
  });

  it('does not retry a permanent error, and gives up after maxAttempts', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw new Error('AccessDenied'); }, instant)).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw slowDown(); }, instant)).rejects.toThrow(/reduce your request rate/);
    expect(calls).toBe(5);
  });

  it('never waits past the time the Lambda has left', async () => {
    let calls = 0;
    const policy: RetryPolicy = { ...instant, random: () => 0.999, remainingMs: () => 10_150, reserveMs: 10_000 };
    await expect(withRetries(async () => { calls++; throw throttled(); }, policy)).rejects.toThrow('Rate exceeded');
    expect(calls).toBe(2); // the first wait (99 ms) fits in the 150 ms to spare, the second (199 ms) does not
  });

  it('a run rides out S3 SlowDown on read and write, and Athena throttling on registration', async () => {
    const local = await tempLake();
    try {
      const contract = await salesContract();
      await landRaw(local, 'sales/orders/a.csv', 'order_id,customer_id,product,quantity,price,order_date,notes\n1,C1,Lamp,1,1.00,2024-03-01,\n');
      const raw = faulty(local.lake.raw, 'read', 2, slowDown);
      // A small Parquet file goes out in one write (its first call here), as a PutObject would.
      const processed = faulty(local.lake.processed, 'write', 1, slowDown);
      const lake: Lake = retryingLake({ raw, processed, quarantine: local.lake.quarantine }, instant);
      const manifest = await processObject('sales/orders/a.csv', contract, lake);
      expect(manifest.rowsWritten).toBe(1);
      // Writes: the Parquet file refused once, then written, then the run's manifest.
      expect([raw.calls, processed.calls]).toEqual([3, 3]);

      let attempts = 0;
      const flaky: Catalog = {
        ensureTable: async (c, l) => {
          if (++attempts <= 2) throw attempts === 1 ? throttled() : tooMany();
          return local.catalog.ensureTable(c, l);
        },
        addColumns: (c, cols) => local.catalog.addColumns(c, cols),
        addPartitions: (c, p) => local.catalog.addPartitions(c, p),
      };
      await retryingCatalog(flaky, instant).ensureTable(contract, local.lake.processed.locationOf('tables/sales_orders/'));
      expect(attempts).toBe(3);
    } finally {
      await local.cleanup();
    }
  });

  it('keeps ranged reads, retried, so a retrying lake can still be cut into byte ranges', async () => {
    const local = await tempLake();
    try {
      const contract = await salesContract();
      const rows = Array.from({ length: 200 }, (_, i) => `${i},C${i},Lamp,1,1.00,2024-03-01,`);
      await landRaw(local, 'sales/orders/c.csv', `order_id,customer_id,product,quantity,price,order_date,notes\n${rows.join('\n')}\n`);
      const raw = faulty(local.lake.raw, 'readRange', 1, slowDown);
      const lake = retryingLake({ ...local.lake, raw }, instant);
      const tasks = await planRanges('sales/orders/c.csv', contract, lake, { parts: 2, minRangeBytes: 1000 });
      expect(tasks?.length).toBe(2);
      expect(raw.calls).toBeGreaterThan(1);
      const tail = await lake.raw.readRange!('sales/orders/c.csv', tasks![1]!.start, tasks![1]!.end);
      const chunks: Uint8Array[] = [];
      for await (const chunk of tail) chunks.push(chunk);
      expect(Buffer.concat(chunks).toString()).toBe(`${rows.slice(tasks![1]!.line - 2).join('\n')}\n`);
      // A store without ranged reads stays without them: the planner then reads the file whole.
      const whole = Object.assign(Object.create(local.lake.raw) as ObjectStore, { readRange: undefined });
      expect(retryingLake({ ...local.lake, raw: whole }, instant).raw.readRange).toBeUndefined();
    } finally {
      await local.cleanup();
    }
  });

  /**
   * A three-partition sales file whose third Parquet file cannot be written (Access Denied); `slowFirstClose` makes the
   * first file take a while to complete. Resolves once the run has failed, with the lake to look at.
   */
  async function failMidway(key: string, test: (local: Awaited<ReturnType<typeof tempLake>>) => Promise<void>, slowFirstClose = false) {
    const local = await tempLake();
    try {
      const contract = await salesContract();
      const rows = ['1,C1,Lamp,1,1.00,2024-03-01,', '2,C2,Lamp,1,1.00,2024-03-02,', '3,C3,Lamp,1,1.00,2024-03-03,'];
      await landRaw(local, key, `order_id,customer_id,product,quantity,price,order_date,notes\n${rows.join('\n')}\n`);
      // Each small Parquet file goes out in one write.
      let written = 0;
      const processed = Object.create(local.lake.processed) as ObjectStore;
      processed.write = async (objectKey, body, type) => {
        if (!objectKey.endsWith('.parquet')) return local.lake.processed.write(objectKey, body, type);
        const n = ++written;
        if (n === 3) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
        if (n === 1 && slowFirstClose) await new Promise((resolve) => setTimeout(resolve, 300));
        return local.lake.processed.write(objectKey, body, type);
      };
      await expect(processObject(key, contract, { ...local.lake, processed })).rejects.toThrow('Access Denied');
      await test(local);
    } finally {
      await local.cleanup();
    }
  }

  it('a run that fails midway waits for the files still being completed, so none appears after it has cleaned up', async () => {
    await failMidway(
      'sales/orders/c.csv',
      async (local) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect((await local.lake.processed.list('')).filter((o) => o.key.endsWith('.parquet'))).toEqual([]);
      },
      true,
    );
  });

  it('a run that fails midway leaves no Parquet of its own behind', async () => {
    // The two files completed before the third must not stay visible.
    await failMidway('sales/orders/b.csv', async (local) => expect(await local.lake.processed.list('')).toEqual([]));
  });
});
