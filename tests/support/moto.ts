import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MOTO_SERVER, notInstalled } from './tools.js';

/** A moto_server on a free loopback port, standing in for S3, Athena, SNS and SQS in adapter tests. */
export interface Moto {
  endpoint: string;
  port: number;
  /** Clears every bucket, topic, queue and query moto holds. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

/** `env`: the server's environment (default this process's; a test of the missing-tool error gives another PATH). */
export async function startMoto(env: NodeJS.ProcessEnv = process.env): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  let missing = false;
  child.once('error', (error: NodeJS.ErrnoException) => (missing = error.code === 'ENOENT'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitUntilAnswering(endpoint, child);
  } catch (error) {
    // A pyenv or asdf shim with no moto behind it exits 127, as a shell does for a command it cannot find.
    if (missing || child.exitCode === 127) throw new Error(notInstalled(MOTO_SERVER));
    await stopProcess(child, exited);
    throw new Error(`moto_server did not start on ${endpoint}: ${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    port,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop: () => stopProcess(child, exited),
  };
}

/**
 * One moto_server for the enclosing test file or describe block: started, with the SDK pointed at it, in a beforeAll,
 * and stopped, with the environment put back, in an afterAll. The handle it returns reaches the running server.
 */
export function useMoto(): Moto {
  let started: Moto | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    started = await startMoto();
    restoreEnv = useMotoEnv(started.endpoint);
  });
  afterAll(async () => {
    restoreEnv?.();
    await started?.stop();
  });
  const running = (): Moto => {
    if (!started) throw new Error('moto is not running: useMoto() starts it in a beforeAll');
    return started;
  };
  return {
    get endpoint() {
      return running().endpoint;
    },
    get port() {
      return running().port;
    },
    reset: () => running().reset(),
    stop: () => running().stop(),
  };
}

/** Points the AWS SDK at moto through the environment; returns a function that puts the environment back. */
export function useMotoEnv(endpoint: string): () => void {
  const settings: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  const previous = Object.fromEntries(Object.keys(settings).map((name) => [name, process.env[name]]));
  Object.assign(process.env, settings);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`no answer within ${READY_TIMEOUT_MS} ms`);
}

async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const forceKill = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(forceKill);
}
