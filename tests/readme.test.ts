import { readFile } from 'node:fs/promises';
import { parseContract } from '../src/pipeline/schema/parse-contract.js';

describe('README', () => {
  it('documents a full contract example that glueless accepts as written', async () => {
    const readme = await readFile('README.md', 'utf8');
    const example = /```yaml\n(name: flights[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const contract = parseContract(example!, 'README.md');
    expect(contract.columns.map((c) => c.name)).toEqual(['flight_date', 'carrier', 'flight_no', 'dep_delay', 'cancelled', 'departed_at', 'cost_total']);
    expect(contract.file).toEqual({ requiredHeaders: [], minRows: 1, maxErrorRatio: 0.05, extraColumns: 'ignore' });
  });

  it('gives the two set-up commands the project really has', async () => {
    const readme = await readFile('README.md', 'utf8');
    const scripts = JSON.parse(await readFile('package.json', 'utf8')).scripts;
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    expect(scripts.start).toBeDefined();
    expect(await readFile('.ci/run', 'utf8')).toContain('npm test');
  });
});
