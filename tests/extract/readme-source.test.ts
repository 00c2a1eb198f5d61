import { readFile } from 'node:fs/promises';
import { parseSource } from '../../src/extract/parse-source.js';

describe('README "Pull from an API"', () => {
  it('explains a source that glueless accepts as written, the shipped stock_daily in all but its items', async () => {
    const readme = await readFile('README.md', 'utf8');
    const example = /```yaml\n(name: stock_daily[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const documented = parseSource(example!, 'README.md');
    const shipped = parseSource(await readFile('sources/stock_daily.yaml', 'utf8'), 'sources/stock_daily.yaml');
    const { request: docRequest, file: _a, description: _b, ...docRest } = documented;
    const { request: shippedRequest, file: _c, description: _d, ...shippedRest } = shipped;
    expect(docRest).toEqual(shippedRest);
    expect({ ...docRequest, items: [] }).toEqual({ ...shippedRequest, items: [] });
  });
});
