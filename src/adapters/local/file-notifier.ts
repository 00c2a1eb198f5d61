import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Notifier, RunNotice } from '../../pipeline/contract/ports.js';
import { noticeMessage } from '../../pipeline/run/notice-message.js';

/**
 * The local stand-in for the SNS topic: each notice is one JSON line appended to `notices.jsonl` in the lake, the
 * message SNS would carry (a manifest too large for SNS without its file lists, `truncated`), with when it was published.
 */
export class FileNotifier implements Notifier {
  constructor(readonly file: string) {}

  async publish(notice: RunNotice): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, `${noticeMessage(notice, { publishedAt: new Date().toISOString() })}\n`);
  }
}
