import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { athenaCost } from '../../src/adapters/aws/athena-query.js';
import { queryAthena } from '../../src/cli/commands/athena-query.js';
import { useMoto } from '../support/moto.js';

const moto = useMoto();

describe('glueless query --athena', () => {
  it('prices bytes scanned at $5 per TB with the 10 MB minimum', () => {
    expect(athenaCost(0)).toBe(0);
    expect(athenaCost(1024 ** 4)).toBeCloseTo(5, 10);
    expect(athenaCost(1)).toBeCloseTo((10 * 1024 * 1024 * 5) / 1024 ** 4, 15);
  });

  it('runs on Athena, polls until done, prints the rows like a local query and what was scanned', async () => {
    await new S3Client({}).send(new CreateBucketCommand({ Bucket: 'q-results' }));
    await new AthenaClient({}).send(new CreateWorkGroupCommand({ Name: 'q-wg', Configuration: { ResultConfiguration: { OutputLocation: 's3://q-results/' } } }));
    // Moto runs no query: it hands back the result queued here, header row first, as Athena does.
    const response = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, {
      method: 'POST',
      body: JSON.stringify({
        results: [
          {
            rows: [
              { Data: [{ VarCharValue: 'order_date' }, { VarCharValue: 'revenue' }] },
              { Data: [{ VarCharValue: '2024-03-01' }, { VarCharValue: '235574.58' }] },
              { Data: [{ VarCharValue: '2024-03-02' }, {}] },
            ],
            column_info: [
              { Name: 'order_date', Type: 'date' },
              { Name: 'revenue', Type: 'decimal', Precision: 38, Scale: 2 },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(201);
    let out = '';
    const notes: string[] = [];
    await queryAthena('SELECT order_date, revenue FROM daily_revenue ORDER BY 1', { workgroup: 'q-wg', database: 'glueless', format: 'csv' }, (t) => (out += t), (l) => notes.push(l));
    expect(out).toBe('order_date,revenue\n2024-03-01,235574.58\n2024-03-02,\n');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^athena: .* scanned, \$\d+\.\d{6} at \$5\/TB \(10 MB minimum\); 2 rows in 1 page; query [\w-]+$/);
  });

  it('says what is missing without a workgroup', async () => {
    const saved = process.env.ATHENA_WORKGROUP;
    delete process.env.ATHENA_WORKGROUP;
    try {
      await expect(queryAthena('SELECT 1', { format: 'table' }, () => undefined, () => undefined)).rejects.toThrow('query --athena needs a workgroup');
    } finally {
      if (saved !== undefined) process.env.ATHENA_WORKGROUP = saved;
    }
  });
});
