import { jest } from '@jest/globals';

/**
 * What a handler writes while it runs: Powertools writes its JSON logs and EMF metrics to stdout, as Lambda wants
 * (error logs to stderr). `capturingStdout` keeps both so a test can read them and the test run stays quiet.
 */
export async function capturingStdout<T>(fn: () => Promise<T>): Promise<{ result: T; error?: unknown; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const keep = (into: string[]) => (chunk: string | Uint8Array) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(keep(out));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(keep(err));
  const written = () => ({ stdout: out.join(''), stderr: err.join('') });
  try {
    const result = await fn();
    return { result, ...written() };
  } catch (error) {
    return { result: undefined as T, error, ...written() };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The JSON records a handler wrote (log lines and EMF documents). */
export function jsonRecords(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** The EMF metric documents among them. */
export function emfRecords(stdout: string): Array<Record<string, any>> {
  return jsonRecords(stdout).filter((record) => record._aws?.CloudWatchMetrics);
}
