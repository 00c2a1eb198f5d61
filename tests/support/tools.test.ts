import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMoto } from './moto.js';
import { CFN_LINT, MOTO_SERVER, requireTool } from './tools.js';

/** Without cfn-lint or moto_server the tests that need them fail, saying how to install them (never skip). */
describe('the outside tools the tests need', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(path.join(tmpdir(), 'glueless-no-tools-'));
  });
  afterAll(() => rm(empty, { recursive: true, force: true }));

  it('cfn-lint missing from PATH: an error naming `pip install cfn-lint`', () => {
    expect(() => requireTool(CFN_LINT, { ...process.env, PATH: empty })).toThrow(
      'cfn-lint is not installed: install it with `pip install cfn-lint` (the template tests lint template.yaml with it)',
    );
  });

  it('a version-manager shim with nothing behind it (exit 127) counts as missing', async () => {
    const shims = await mkdtemp(path.join(tmpdir(), 'glueless-shim-'));
    try {
      const shim = path.join(shims, 'cfn-lint');
      await writeFile(shim, '#!/bin/sh\necho "pyenv: cfn-lint: command not found" >&2\nexit 127\n');
      await chmod(shim, 0o755);
      expect(() => requireTool(CFN_LINT, { ...process.env, PATH: `${shims}:/usr/bin:/bin` })).toThrow('pip install cfn-lint');
    } finally {
      await rm(shims, { recursive: true, force: true });
    }
  });

  it("moto_server missing from PATH: startMoto fails naming `pip install 'moto[server]'`", async () => {
    const started = startMoto({ ...process.env, PATH: empty });
    await expect(started).rejects.toThrow("moto_server is not installed: install it with `pip install 'moto[server]'`");
    await started.then((moto) => moto.stop(), () => undefined); // never left running, should it have started after all
    expect(MOTO_SERVER.command).toBe('moto_server');
  });
});
