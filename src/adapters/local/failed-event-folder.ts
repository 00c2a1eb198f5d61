import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  rawKeysOf,
  readInvocationRecord,
  type FailedEvent,
  type FailedEventQueue,
  type InvocationRecord,
} from '../../pipeline/run/failed-events.js';

/** The bucket name local failure records carry: a local lake has one raw zone, and redrive checks records name it. */
export const LOCAL_RAW_BUCKET = 'glueless-local-raw';

/**
 * The local stand-in for the failure queue: `<lake>/failed/`, one JSON invocation record per failed event, named after
 * the raw objects it names, so the same object failing again replaces its record instead of adding one.
 */
export class FailedEventFolder implements FailedEventQueue {
  /** Handed out and not yet acknowledged or released: hidden from `receive`, as SQS hides a received message. */
  private readonly inFlight = new Set<string>();

  constructor(readonly directory: string) {}

  static inLake(lakeRoot: string): FailedEventFolder {
    return new FailedEventFolder(path.join(lakeRoot, 'failed'));
  }

  /** Writes the record; returns its event id (the file name). */
  async record(record: InvocationRecord): Promise<string> {
    const name = fileNameFor(record);
    await mkdir(this.directory, { recursive: true });
    const temporary = path.join(this.directory, `.${name}.${process.pid}.tmp`);
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
    await rename(temporary, path.join(this.directory, name));
    return name;
  }

  async receive(max: number): Promise<FailedEvent[]> {
    const events: FailedEvent[] = [];
    for (const name of await this.names()) {
      if (events.length >= max) break;
      if (this.inFlight.has(name)) continue;
      let text: string;
      try {
        text = await readFile(path.join(this.directory, name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // acknowledged by a concurrent redrive
        throw error;
      }
      this.inFlight.add(name);
      events.push({ id: name, record: readInvocationRecord(text) });
    }
    return events;
  }

  async acknowledge(event: FailedEvent): Promise<void> {
    await rm(path.join(this.directory, event.id), { force: true });
    this.inFlight.delete(event.id);
  }

  async release(event: FailedEvent): Promise<void> {
    this.inFlight.delete(event.id);
  }

  async approximateCount(): Promise<number> {
    return (await this.names()).filter((name) => !this.inFlight.has(name)).length;
  }

  private async names(): Promise<string[]> {
    try {
      return (await readdir(this.directory)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

/** `<last key segment>-<hash of every bucket/key>.json`: readable in a listing, the same for the same objects. */
function fileNameFor(record: InvocationRecord): string {
  let identity: string;
  let label: string;
  try {
    const keys = rawKeysOf(record);
    identity = keys.map((k) => `${k.bucket}/${k.key}`).join('\n');
    label = keys[0]?.key.split('/').pop() || 'event';
  } catch {
    identity = JSON.stringify(record);
    label = 'unreadable';
  }
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 16);
  return `${label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}-${hash}.json`;
}
