import { AthenaClient, CreateWorkGroupCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { parquetReadObjects } from 'hyparquet';
import { readFile } from 'node:fs/promises';
import { AthenaCatalog } from '../../../src/adapters/aws/athena-catalog.js';
import { S3ObjectStore } from '../../../src/adapters/aws/s3-object-store.js';
import { SnsNotifier } from '../../../src/adapters/aws/sns-notifier.js';
import { parseContract } from '../../../src/pipeline/schema/parse-contract.js';
import { ingestObject } from '../../../src/pipeline/run/ingest.js';
import { useMoto } from '../../support/moto.js';

/** 50 files ingested concurrently through the AWS adapters against moto: each processed once, total rows exact. */

useMoto();

it('ingests 50 files concurrently against moto with every row accounted for', async () => {
  const s3 = new S3Client({});
  const athena = new AthenaClient({});
  const sns = new SNSClient({});
  try {
    for (const bucket of ['load-raw', 'load-processed']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await athena.send(new CreateWorkGroupCommand({ Name: 'load', Configuration: { ResultConfiguration: { OutputLocation: 's3://load-processed/athena/' } } }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'load-notices' }));
    const contract = parseContract(await readFile('datasets/sales_orders.yaml', 'utf8'), 'datasets/sales_orders.yaml');
    const deps = {
      lake: {
        raw: new S3ObjectStore({ client: s3, bucket: 'load-raw' }),
        processed: new S3ObjectStore({ client: s3, bucket: 'load-processed' }),
        quarantine: new S3ObjectStore({ client: s3, bucket: 'load-processed', prefix: 'quarantine/' }),
      },
      catalog: new AthenaCatalog({ client: athena, workgroup: 'load', database: 'load_lake', pollDelaysMs: [10] }),
      notifier: new SnsNotifier({ client: sns, topicArn: TopicArn! }),
      contracts: [contract],
    };

    const header = 'order_id,customer_id,product,quantity,price,order_date,notes';
    const keys = Array.from({ length: 50 }, (_, f) => `sales/orders/load/f${f}.csv`);
    await Promise.all(
      keys.map((key, f) => {
        const rows = Array.from({ length: 20 }, (_, r) => `${f * 1000 + r},C${r},Pen,${(r % 4) + 1},1.25,2024-05-0${(f % 3) + 1},`);
        return s3.send(new PutObjectCommand({ Bucket: 'load-raw', Key: key, Body: `${header}\n${rows.join('\n')}\n` }));
      }),
    );

    const queue = [...keys];
    const results: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let key = queue.shift(); key; key = queue.shift()) {
          const result = await ingestObject(key, deps);
          results.push(`${key} ${result.status}`);
        }
      }),
    );
    expect(results.sort()).toEqual(keys.map((k) => `${k} processed`).sort());

    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: 'load-processed', Prefix: 'tables/' }));
    expect(Contents).toHaveLength(50);
    let rows = 0;
    let units = 0;
    for (const { Key } of Contents) {
      const object = await s3.send(new GetObjectCommand({ Bucket: 'load-processed', Key }));
      const bytes = await object.Body!.transformToByteArray();
      const data = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
      rows += data.length;
      units += data.reduce((sum, row) => sum + (row.quantity as number), 0);
    }
    expect(rows).toBe(1000);
    expect(units).toBe(50 * 5 * (1 + 2 + 3 + 4));
    const { QueryExecutionIds = [] } = await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'load' }));
    expect(QueryExecutionIds).toHaveLength(100); // one CREATE TABLE IF NOT EXISTS and one ALTER TABLE per file
  } finally {
    s3.destroy();
    athena.destroy();
    sns.destroy();
  }
});
