import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsRefreshQueue } from '../adapters/aws/sqs-refresh-queue.js';
import type { RefreshMessage } from '../models/ports.js';
import { changeOfRun, messagesFor } from '../models/refresh.js';
import type { DatasetContract } from '../pipeline/contract/contract.js';
import type { RunManifest } from '../pipeline/contract/run-manifest.js';
import { modelGraph } from './model-graph.js';
import { bundledModels } from './models.generated.js';
import { logger } from './powertools.js';

/**
 * After a SUCCEEDED run (the transform's, or the fan-out's settle), the gold models reading its table are queued on
 * MODEL_REFRESH_QUEUE_URL for the refresh function: one message per model that reads the table directly.
 */
export type QueueModelRefreshes = (key: string, manifest: RunManifest) => Promise<RefreshMessage[]>;

/** Queues for the deployed models over `contracts` (every deployed contract: the graph names all their tables). */
export function modelRefreshQueuer(contracts: DatasetContract[]): QueueModelRefreshes {
  const graph = modelGraph(bundledModels, contracts);
  let queue: { url: string; sqs: SqsRefreshQueue } | undefined;
  return async (key, manifest) => {
    const queueUrl = process.env.MODEL_REFRESH_QUEUE_URL?.trim();
    if (!queueUrl || queueUrl === 'none') return []; // `none`: no models queued (glueless invoke without a queue)
    const contract = contracts.find((c) => c.name === manifest.table)!;
    const messages = messagesFor(graph, manifest.table, changeOfRun(contract, manifest), key);
    if (queue?.url !== queueUrl) queue = { url: queueUrl, sqs: new SqsRefreshQueue({ client: new SQSClient({}), queueUrl }) };
    await queue.sqs.send(messages);
    if (messages.length > 0) logger.info('model refreshes queued', { key, models: messages.map((m) => m.model) });
    return messages;
  };
}
