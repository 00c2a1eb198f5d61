import { execFile, spawn } from 'node:child_process';
import path from 'node:path';

/** The installed CLI as a user runs it: `node bin/glueless.js …` (the compiled dist/cli/, rebuilt by jest's globalSetup). */
export const GLUELESS_BIN = path.resolve('bin/glueless.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** The environment, in full (default: this process's, without GLUELESS_LAKE / GLUELESS_DATASETS). */
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's stdin. */
  input?: string;
}

/** Runs `glueless …args`; resolves with its exit code and output, whether it succeeded or not. */
export function glueless(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = options.env ?? { ...process.env, GLUELESS_LAKE: '', GLUELESS_DATASETS: '' };
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [GLUELESS_BIN, ...args],
      { cwd: options.cwd, env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** Starts `glueless …args` without waiting: for tests that run several commands at once. */
export function spawnGlueless(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = options.env ?? { ...process.env, GLUELESS_LAKE: '', GLUELESS_DATASETS: '' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GLUELESS_BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
