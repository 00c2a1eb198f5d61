import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseContract } from '../../pipeline/schema/parse-contract.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { checkContractSet } from '../../pipeline/schema/datasets.js';
import { ContractError } from '../../pipeline/contract/errors.js';

/**
 * Every `*.yaml` / `*.yml` contract in a directory (default `datasets/`), validated. A broken or empty contract file
 * does not stop the others: it is reported through `warn` (default: a line on stderr naming the file) and left out,
 * so commands that do not need it go on; when no contract is left, its error is the command's error.
 */
export async function loadContractDirectory(
  directory: string,
  warn: (message: string) => void = (message) => process.stderr.write(`glueless: warning: ${message}\n`),
): Promise<DatasetContract[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new ContractError(`${directory}: dataset contract directory not found (set --datasets or GLUELESS_DATASETS)`);
  }
  if (names.length === 0) throw new ContractError(`${directory}: no dataset contracts (*.yaml) found`);
  const left: LeftOutContract[] = [];
  const loaded = await Promise.all(
    names.map(async (name) => {
      const file = path.join(directory, name);
      let text = '';
      try {
        text = await readFile(file, 'utf8');
        return parseContract(text, path.relative(process.cwd(), file) || file);
      } catch (error) {
        if (!(error instanceof ContractError)) throw error;
        const named = /^name:\s*["']?([A-Za-z0-9_]+)/m.exec(text)?.[1];
        left.push({ names: [name.replace(/\.ya?ml$/, ''), ...(named ? [named] : [])], error });
        return error;
      }
    }),
  );
  const contracts = loaded.filter((c): c is DatasetContract => !(c instanceof Error));
  const broken = loaded.filter((c): c is ContractError => c instanceof Error);
  if (contracts.length === 0) throw broken[0]!;
  for (const error of broken) warn(`${error.message} (that dataset is left out until the file is fixed)`);
  const checked = checkContractSet(contracts);
  leftOut.set(checked, left);
  return checked;
}

/** A contract file left out as broken: the dataset names it may stand for (its file stem, its `name:`), its error. */
interface LeftOutContract {
  names: string[];
  error: ContractError;
}

const leftOut = new WeakMap<DatasetContract[], LeftOutContract[]>();

/**
 * The error of the broken contract file a dataset name stands for, among those `loadContractDirectory` left out when it
 * read `contracts`: `--dataset broken` is told what is wrong with broken.yaml, not that there is no such dataset.
 */
export function brokenContractError(contracts: DatasetContract[], name: string): ContractError | undefined {
  return leftOut.get(contracts)?.find((entry) => entry.names.includes(name))?.error;
}
