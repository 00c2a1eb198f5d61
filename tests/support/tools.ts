import { spawnSync } from 'node:child_process';

/**
 * The outside programs the tests run for real (cfn-lint, moto_server). One that is not installed fails the tests that
 * need it, saying how to install it: a test skipped for want of a tool would pass for a reason nobody checked.
 */
export interface Tool {
  command: string;
  /** How to install it, e.g. `pip install cfn-lint`. */
  install: string;
  /** What the tests use it for, said in the error. */
  purpose: string;
}

export const CFN_LINT: Tool = { command: 'cfn-lint', install: 'pip install cfn-lint', purpose: 'the template tests lint template.yaml with it' };
export const MOTO_SERVER: Tool = {
  command: 'moto_server',
  install: `pip install 'moto[server]'`,
  purpose: 'the AWS emulator the adapter and CLI tests run against',
};

/** The message for a tool that is not there. */
export function notInstalled(tool: Tool): string {
  return `${tool.command} is not installed: install it with \`${tool.install}\` (${tool.purpose})`;
}

/**
 * Whether a spawn failed because the program is not there: not on PATH (ENOENT), or a version-manager shim
 * (pyenv, asdf) with nothing behind it, which exits 127 as a shell does for a command it cannot find.
 */
export function isMissingProgram(result: { error?: NodeJS.ErrnoException; status: number | null }): boolean {
  return result.error?.code === 'ENOENT' || result.status === 127;
}

/** Throws, saying how to install it, unless `command --version` runs. */
export function requireTool(tool: Tool, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(tool.command, ['--version'], { env, encoding: 'utf8' });
  if (isMissingProgram(result as { error?: NodeJS.ErrnoException; status: number | null })) throw new Error(notInstalled(tool));
}
