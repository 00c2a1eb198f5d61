import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { windowsFor } from '../../extract/window-selection.js';
import { findSource } from '../../extract/sources.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import type { ExtractSummary } from '../../handlers/extract.js';
import { loadBoundSources } from './extract.js';

/**
 * `glueless backfill <source> --from D --to D --function <name>`: the deployed ExtractFunction invoked once per
 * window, a few at a time, each invocation synchronous so its outcome is known; then a summary naming the failures.
 * The function skips what already landed, so a backfill run again only fills what is missing.
 */

export interface BackfillOptions {
  from: string;
  to: string;
  function: string;
  concurrency: number;
  force?: boolean;
  sources: string;
}

export interface BackfillResult {
  windows: number;
  outcomes: Record<string, number>;
  failures: string[];
}

export async function backfill(
  name: string,
  options: BackfillOptions,
  context: { contracts: DatasetContract[]; lambda?: LambdaClient; now?: () => number },
  print: (line: string) => void,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<BackfillResult> {
  const { source } = findSource(await loadBoundSources(options.sources, context.contracts), name);
  const windows = windowsFor(source.window, options, (context.now ?? Date.now)());
  const lambda = context.lambda ?? new LambdaClient({});
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let index = next++; index < windows.length; index = next++) {
      const window = windows[index]!;
      try {
        const summary = await invoke(lambda, options.function, { source: name, date: window.id, force: options.force === true });
        for (const w of summary.windows) outcomes[w.outcome] = (outcomes[w.outcome] ?? 0) + 1;
      } catch (error) {
        outcomes.failed = (outcomes.failed ?? 0) + 1;
        failures.push(`${window.id}: ${(error as Error).message}`);
      }
      progress(++done, windows.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, windows.length) }, worker));
  const counts = Object.entries(outcomes).sort().map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  print(`${name}: ${windows.length} windows invoked on ${options.function} (${windows[0]!.id} … ${windows[windows.length - 1]!.id}): ${counts}`);
  for (const failure of failures) print(`  failed: ${failure}`);
  if (failures.length > 0) throw new GluelessError(`${failures.length} of ${windows.length} windows failed (listed above); run the same backfill again to retry only those`);
  return { windows: windows.length, outcomes, failures };
}

async function invoke(lambda: LambdaClient, functionName: string, event: object): Promise<ExtractSummary> {
  const response = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: JSON.stringify(event) }));
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) {
    let message = text;
    try {
      message = (JSON.parse(text) as { errorMessage?: string }).errorMessage ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new GluelessError(message.split('\n')[0]!);
  }
  return JSON.parse(text) as ExtractSummary;
}
