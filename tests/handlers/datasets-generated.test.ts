import { readFile } from 'node:fs/promises';
import { GENERATED_FILE, renderDatasetsModule } from '../../scripts/embed-datasets.js';
import { bundledContracts } from '../../src/handlers/datasets.generated.js';
import { parseContract } from '../../src/pipeline/contract.js';

describe('contracts embedded in the Lambda', () => {
  it('match datasets/*.yaml (after adding or changing a contract, run `npm run embed-datasets`)', async () => {
    const expected = await renderDatasetsModule();
    const actual = await readFile(GENERATED_FILE, 'utf8');
    if (actual !== expected) {
      throw new Error(`${GENERATED_FILE} is out of date with datasets/: run \`npm run embed-datasets\` and commit the result`);
    }
  });

  it('parse as the contracts the local lake loads', async () => {
    const files = bundledContracts.map((c) => c.file);
    expect(files).toContain('datasets/sales_orders.yaml');
    for (const { file, yaml } of bundledContracts) {
      expect(yaml).toBe(await readFile(file, 'utf8'));
      expect(parseContract(yaml, file).name).toBeTruthy();
    }
  });
});
