import type { S3EventRecord } from 'aws-lambda';
import type { DatasetContract } from '../pipeline/contract/contract.js';
import type { ObjectStore } from '../pipeline/contract/ports.js';
import { executionName, handsOff, type FanOutStarter } from '../pipeline/run/fan-out-hand-off.js';
import { contractForKey } from '../pipeline/schema/datasets.js';

/** A raw object the transform did not convert: the fan-out state machine does, in byte ranges. */
export interface HandedOff {
  key: string;
  dataset: string;
  bytes: number;
  execution: string;
  /** The execution existed already: a retried or repeated event, nothing started again. */
  alreadyStarted: boolean;
}

/**
 * Hands the object to the fan-out when it is too big for one invocation; undefined when this function converts it
 * itself (small, no dataset owns it, or gone: the conversion's own path skips those as before). The size comes from
 * the event; an event without one, or without anything naming the upload (hand-written, `glueless invoke`), is
 * answered from a listing of the key (its size and write time).
 */
export async function handOffIfTooBig(
  record: S3EventRecord,
  key: string,
  deps: { raw: ObjectStore; contracts: DatasetContract[]; thresholdBytes: number; starter: FanOutStarter },
): Promise<HandedOff | undefined> {
  const contract = contractForKey(deps.contracts, key);
  if (!contract) return undefined;
  const { size, eTag, versionId, sequencer } = record.s3.object as Partial<S3EventRecord['s3']['object']>;
  const named = Boolean(eTag || versionId || sequencer);
  const listed = typeof size === 'number' && named ? undefined : (await deps.raw.list(key)).find((o) => o.key === key);
  const bytes = typeof size === 'number' ? size : listed?.size;
  if (bytes === undefined || !handsOff(bytes, deps.thresholdBytes)) return undefined;
  const name = executionName({ key, eTag, versionId, sequencer, lastModified: listed?.lastModified });
  const { executionArn, alreadyStarted } = await deps.starter.start(name, { key });
  return { key, dataset: contract.name, bytes, execution: executionArn, alreadyStarted };
}
