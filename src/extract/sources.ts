import type { DatasetContract } from '../pipeline/contract/contract.js';
import { SourceError } from './errors.js';
import type { SourceDefinition } from './source.js';
import { EMPTY_MARKER_PREFIX } from './extract.js';

/** A source with the contract it lands in: its raw prefix is where its objects go. */
export interface BoundSource {
  source: SourceDefinition;
  contract: DatasetContract;
}

/** Sources have unique names, each lands in a dataset that exists, and no dataset owns the extractor's marker keys. */
export function bindSources(sources: SourceDefinition[], contracts: DatasetContract[]): BoundSource[] {
  const names = new Set<string>();
  for (const contract of contracts) {
    if (contract.prefix.startsWith(EMPTY_MARKER_PREFIX.split('/')[0]!)) {
      throw new SourceError(`dataset ${contract.name}: source.prefix "${contract.prefix}" is reserved for the extractor's markers`);
    }
  }
  return sources.map((source) => {
    if (names.has(source.name)) throw new SourceError(`${source.file}: name: two sources are named "${source.name}"`);
    names.add(source.name);
    const contract = contracts.find((c) => c.name === source.target.dataset);
    if (!contract) {
      throw new SourceError(`${source.file}: target.dataset: no dataset contract "${source.target.dataset}" (known: ${contracts.map((c) => c.name).join(', ')})`);
    }
    return { source, contract };
  });
}

export function findSource(sources: BoundSource[], name: string): BoundSource {
  const found = sources.find((s) => s.source.name === name);
  if (!found) throw new SourceError(`unknown source "${name}" (known: ${sources.map((s) => s.source.name).join(', ') || 'none'})`);
  return found;
}
