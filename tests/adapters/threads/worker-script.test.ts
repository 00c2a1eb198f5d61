import { siblingScript } from '../../../src/adapters/threads/worker-script.js';

describe('a worker script beside its module', () => {
  it('has the extension of the module naming it: sources, the built CLI, a Lambda bundle', () => {
    expect(siblingScript('file:///app/src/handlers/transform-ranges.ts', 'range-worker').href).toBe('file:///app/src/handlers/range-worker.ts');
    expect(siblingScript('file:///app/dist/cli/chunk-AB12.js', 'range-worker').href).toBe('file:///app/dist/cli/range-worker.js');
    expect(siblingScript('file:///var/task/transform.mjs', 'range-worker').href).toBe('file:///var/task/range-worker.mjs');
    // A loader's query on the module (`glueless invoke` imports a handler as …/transform.ts?tsx) is not the script's.
    expect(siblingScript('file:///app/src/handlers/transform.ts?tsx', 'range-worker').href).toBe('file:///app/src/handlers/range-worker.ts');
  });
});
