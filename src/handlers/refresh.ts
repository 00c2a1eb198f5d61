import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AthenaCatalog } from '../adapters/aws/athena-catalog.js';
import { AthenaModelEngine } from '../adapters/aws/athena-models.js';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import { SnsNotifier } from '../adapters/aws/sns-notifier.js';
import { SqsRefreshQueue } from '../adapters/aws/sqs-refresh-queue.js';
import type { ModelGraph } from '../models/graph.js';
import { modelGraph } from './model-graph.js';
import type { ModelEngine, RefreshMessage, RefreshQueue } from '../models/ports.js';
import { refreshFromMessage } from '../models/refresh.js';
import type { Notifier } from '../pipeline/contract/ports.js';
import { readConfig } from './config.js';
import { bundledContracts } from './datasets.generated.js';
import { bundledModels } from './models.generated.js';
import { logger } from './powertools.js';

/**
 * The refresh function: fed by the model refresh queue (SQS FIFO, a message group per model, one message at a time),
 * it refreshes one model for the change a message carries, then queues the models that read it. A failure publishes a
 * FAILED notice naming the model and fails the message, which SQS retries and, after the last attempt, moves to the
 * refresh dead-letter queue; the transform's silver latency never waits for any of this.
 */
export interface RefreshDeps {
  engine: ModelEngine;
  graph: ModelGraph;
  queue: RefreshQueue;
  notifier: Notifier;
}

export async function handleRefreshEvent(event: SQSEvent, deps: RefreshDeps): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const [index, record] of event.Records.entries()) {
    const message = JSON.parse(record.body) as RefreshMessage;
    try {
      const { refreshed, next } = await refreshFromMessage(deps.engine, deps.graph, message);
      logger.info('model refreshed', { model: refreshed.model, partitions: refreshed.partitions, cause: message.cause });
      await deps.queue.send(next);
    } catch (error) {
      logger.error('model refresh failed', { model: message.model, error: error as Error });
      await deps.notifier
        .publish({ status: 'FAILED', dataset: message.model, source: `model:${message.model}`, error: (error as Error).message })
        .catch(() => undefined);
      // FIFO: the messages after a failed one wait for it, so they fail with it and come back in order.
      batchItemFailures.push(...event.Records.slice(index).map((r) => ({ itemIdentifier: r.messageId })));
      break;
    }
  }
  return { batchItemFailures };
}

let deps: RefreshDeps | undefined;

function awsDeps(): RefreshDeps {
  if (deps) return deps;
  const config = readConfig();
  const queueUrl = process.env.MODEL_REFRESH_QUEUE_URL ?? '';
  const athena = new AthenaClient({});
  const query = {
    client: athena,
    workgroup: config.athenaWorkgroup,
    database: config.glueDatabase,
    outputLocation: `s3://${config.athenaResultsBucket}/athena/`,
  };
  const catalog = new AthenaCatalog(query);
  const processed = new S3ObjectStore({ client: new S3Client({}), bucket: config.processedBucket });
  deps = {
    engine: new AthenaModelEngine({ query, runStatement: (sql) => catalog.runStatement(sql), processed }),
    graph: modelGraph(bundledModels, bundledContracts),
    queue: new SqsRefreshQueue({ client: new SQSClient({}), queueUrl }),
    notifier: new SnsNotifier({ client: new SNSClient({}), topicArn: config.noticeTopicArn }),
  };
  return deps;
}

export const handler = middy((event: SQSEvent) => handleRefreshEvent(event, awsDeps())).use(injectLambdaContext(logger));
