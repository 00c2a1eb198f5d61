import type { RunManifest } from '../../pipeline/contract/run-manifest.js';
import { FetchHttpClient } from '../../adapters/http/fetch-http-client.js';
import { EnvSecretStore } from '../../adapters/local/env-secret-store.js';
import { loadSourceDirectory } from '../../adapters/local/source-files.js';
import type { LocalLake } from '../../adapters/local/local-lake.js';
import { extractWindows, type WindowResult } from '../../extract/extract.js';
import { lastWindowLanded } from '../../extract/landed.js';
import { bindSources, findSource, type BoundSource } from '../../extract/sources.js';
import type { HttpClient, SecretStore } from '../../extract/ports.js';
import { windowsFor } from '../../extract/window-selection.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { ingestObject } from '../../pipeline/run/ingest.js';
import { renderTable } from '../format.js';

/**
 * `glueless extract <source>`: fetch each window the way ExtractFunction does on AWS, land it in the local lake's raw
 * zone, and convert what landed as `ingest` does. `--from/--to` is the backfill: windows in order, a bounded number of
 * requests in flight, resumable (what landed is skipped), a summary at the end.
 */

export interface ExtractOptions {
  date?: string;
  from?: string;
  to?: string;
  force?: boolean;
  baseUrl?: string;
  sources: string;
}

export interface ExtractContext {
  local: LocalLake;
  contracts: DatasetContract[];
  http?: HttpClient;
  secrets?: SecretStore;
  now?: () => number;
}

export interface ExtractSummary {
  results: WindowResult[];
  requests: number;
  rowsWritten: number;
  rowsQuarantined: number;
  /** The runs that converted landed windows: what the gold models refresh from. */
  manifests: RunManifest[];
}

export async function loadBoundSources(directory: string, contracts: DatasetContract[]): Promise<BoundSource[]> {
  return bindSources(await loadSourceDirectory(directory), contracts);
}

export async function runExtract(
  name: string,
  options: ExtractOptions,
  context: ExtractContext,
  print: (line: string) => void,
  progress: (done: number, total: number, last: WindowResult) => void = () => undefined,
): Promise<ExtractSummary> {
  const { source, contract } = findSource(await loadBoundSources(options.sources, context.contracts), name);
  const now = context.now ?? Date.now;
  const windows = windowsFor(source.window, options, now());
  const total = windows.length * source.request.items.length;
  let done = 0;
  let rowsWritten = 0;
  let rowsQuarantined = 0;
  const conversionErrors: string[] = [];
  const manifests: RunManifest[] = [];
  // Conversions run one after the other while fetching goes on: the catalog takes one writer at a time.
  let conversions = Promise.resolve();
  const { results, stats } = await extractWindows(source, windows, {
    http: context.http ?? new FetchHttpClient(),
    secrets: context.secrets ?? new EnvSecretStore(),
    raw: context.local.lake.raw,
    prefix: contract.prefix,
    now,
    force: options.force,
    baseUrl: options.baseUrl,
    onRetry: ({ url, attempt, delayMs, reason }) => print(`  retry ${attempt} in ${Math.round(delayMs)} ms: ${reason} (${url})`),
    onWindow: (result) => {
      progress(++done, total, result);
      if (result.outcome !== 'landed' && result.outcome !== 'replaced') return;
      conversions = conversions.then(async () => {
        try {
          const ingested = await ingestObject(result.key, { ...context.local, contracts: context.contracts });
          if (ingested.status === 'skipped') throw new GluelessError(ingested.reason);
          if (ingested.status === 'rejected') throw new GluelessError(ingested.manifest.rejectReason ?? 'rejected');
          manifests.push(ingested.manifest);
          rowsWritten += ingested.manifest.rowsWritten;
          rowsQuarantined += ingested.manifest.rowsQuarantined;
        } catch (error) {
          conversionErrors.push(`${result.key}: ${(error as Error).message}`);
        }
      });
    },
  });
  await conversions;
  const count = (outcome: WindowResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const records = results.reduce((sum, r) => sum + r.records, 0);
  print(
    `${source.name} → ${contract.name}: ${total} windows (${windows[0]?.id ?? '-'} … ${windows[windows.length - 1]?.id ?? '-'}): ` +
      `${count('landed')} landed, ${count('replaced')} replaced, ${count('unchanged')} unchanged, ${count('skipped')} already landed, ` +
      `${count('empty')} empty, ${count('failed')} failed; ${stats.requests} requests, ${records} records → ${rowsWritten} rows written, ` +
      `${rowsQuarantined} quarantined`,
  );
  for (const failure of results.filter((r) => r.outcome === 'failed')) print(`  failed: ${failure.error}`);
  const failed = results.filter((r) => r.outcome === 'failed').length;
  if (failed > 0) throw new GluelessError(`${failed} of ${results.length} windows failed (listed above); run the same command again to fetch only what is missing`);
  if (conversionErrors.length > 0) throw new GluelessError(`landed but not converted: ${conversionErrors.join('; ')}`);
  return { results, requests: stats.requests, rowsWritten, rowsQuarantined, manifests };
}

/** `glueless sources`: every source with its dataset, window, schedule and the last window landed. */
export async function listSources(options: { sources: string }, context: { local: LocalLake; contracts: DatasetContract[] }): Promise<string> {
  const bound = await loadBoundSources(options.sources, context.contracts);
  const rows = await Promise.all(
    bound.map(async ({ source, contract }) => {
      const last = await lastWindowLanded(source, contract.prefix, context.local.lake.raw);
      const items = source.request.items.length > 1 || Object.keys(source.request.items[0]!).length > 0 ? source.request.items.length : '-';
      return [source.name, contract.name, source.window.unit, `${source.window.schedule} ${source.window.scheduleTimezone}`, items, last?.window ?? '-', last?.objects ?? 0];
    }),
  );
  return renderTable({ columns: ['source', 'dataset', 'window', 'schedule', 'items', 'last window landed', 'objects'], rows });
}
