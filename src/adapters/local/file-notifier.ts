import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Notifier, RunNotice } from '../../pipeline/contract/ports.js';

/** The local stand-in for the SNS topic: each notice is one JSON line appended to `notices.jsonl` in the lake. */
export class FileNotifier implements Notifier {
  constructor(readonly file: string) {}

  async publish(notice: RunNotice): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify({ publishedAt: new Date().toISOString(), ...notice })}\n`);
  }
}
