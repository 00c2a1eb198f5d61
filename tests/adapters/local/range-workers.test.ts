import { readFile } from 'node:fs/promises';
import { parquetReadObjects } from 'hyparquet';
import { localRangeWorkers } from '../../../src/adapters/local/range-workers.js';
import { processObject } from '../../../src/pipeline/run/run.js';
import { processObjectInRanges } from '../../../src/pipeline/run/ranged-run.js';
import { expectNothingLost, landRaw, readText, salesContract, tempLake } from '../../support/local.js';

type Lake = Awaited<ReturnType<typeof tempLake>>;

async function rowsOf(local: Lake, keys: string[]) {
  const rows: unknown[] = [];
  for (const key of [...keys].sort()) {
    const bytes = await readFile(local.lake.processed.locationOf(key));
    const objects = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    // Two lakes, two raw objects with their own write times: everything but _ingested_at must be equal.
    rows.push(...objects.map(({ _ingested_at, ...rest }) => rest));
  }
  return rows;
}

describe('range worker threads', () => {
  it('convert a file in byte ranges on worker threads into the same rows and quarantine as one thread', async () => {
    const lines = ['order_id,customer_id,product,quantity,price,order_date,notes'];
    for (let i = 0; i < 3000; i++) {
      const id = i % 997 === 5 ? 7 : i; // a key repeated across ranges
      const qty = i % 301 === 0 ? 'x' : String(1 + (i % 5));
      lines.push(`${id},C${i},"Lamp, ""big""",${qty},2.50,2024-03-0${1 + (i % 4)},"line one\nline ${i}"`);
    }
    const text = lines.join('\r\n') + '\r\n';
    const serial = await tempLake();
    const threaded = await tempLake();
    const pool = localRangeWorkers(threaded.root, 2);
    try {
      await landRaw(serial, 'sales/orders/a.csv', text);
      await landRaw(threaded, 'sales/orders/a.csv', text);
      const contract = await salesContract();
      const one = await processObject('sales/orders/a.csv', contract, serial.lake);
      const many = await processObjectInRanges('sales/orders/a.csv', contract, threaded.lake, { parts: 4, minRangeBytes: 10_000, run: pool.run });
      expectNothingLost(many);
      expect(many.outputs.some((o) => o.key.endsWith('-r0003.parquet'))).toBe(true);
      expect(many.quarantinedByRule).toEqual(one.quarantinedByRule);
      expect(many.quarantinedByRule.unique).toBeGreaterThan(0);
      expect(await rowsOf(threaded, many.outputs.map((o) => o.key))).toEqual(await rowsOf(serial, one.outputs.map((o) => o.key)));
      expect(await readText(threaded, 'quarantine', many.quarantineFile!)).toBe(await readText(serial, 'quarantine', one.quarantineFile!));
      expect((await threaded.lake.quarantine.list('')).map((o) => o.key)).toEqual([one.quarantineFile]);
    } finally {
      await pool.close();
      await Promise.all([serial.cleanup(), threaded.cleanup()]);
    }
  });
});
