import cliProgress from 'cli-progress';
import { formatBytes, formatCount, formatDuration } from './format.js';

/**
 * Progress bars for long commands, on cli-progress (kept, widely used; multi-bar redraw in place). Shown only when the
 * stream (stderr) is a terminal and not with `--quiet`; on a pipe or in a log nothing is drawn, and `createProgress`
 * hands back bars that do nothing, so a command calls the same methods either way.
 *
 *   const progress = createProgress({ quiet });
 *   const bar = progress.bar('orders.csv', size, 'bytes');
 *   bar.update(bytesRead, { rows });
 *   progress.print('orders.csv → 3,000 rows');   // a line above the bars (stdout when it is not the terminal)
 *   bar.done(); progress.stop();
 */

export interface ProgressOptions {
  /** `--quiet`: no bars. */
  quiet?: boolean;
  /** Where bars go (default process.stderr); drawn only if it is a TTY. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Where `print` lines go when they cannot go above the bars (default: stdout). */
  print?: (line: string) => void;
  /** Redraws per second (default 10). */
  fps?: number;
}

export interface ProgressBar {
  /** `done` of the bar's total; `rows`, when known, adds a rows/s figure. */
  update(done: number, counts?: { rows?: number }): void;
  increment(by?: number): void;
  /** The total, when it was not known at the start or has grown. */
  setTotal(total: number): void;
  /** Taken off the display (what it did is for the command to print). */
  done(): void;
}

export interface Progress {
  /** Bars are being drawn. */
  readonly visible: boolean;
  /** A bar for one piece of work: `bytes` (file read) or `items` (files, events, pages). */
  bar(label: string, total: number, unit?: 'bytes' | 'items'): ProgressBar;
  /** A result line: above the bars when both go to the same terminal, else through `print`. */
  print(line: string): void;
  /** Every bar cleared away; the result lines stay. */
  stop(): void;
}

const NO_BAR: ProgressBar = { update() {}, increment() {}, setTotal() {}, done() {} };

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (options.quiet || !stream.isTTY) return { visible: false, bar: () => NO_BAR, print, stop() {} };

  const multi = new cliProgress.MultiBar(
    {
      stream,
      fps: options.fps ?? 10,
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      barsize: 24,
      format: (settings, params, payload: Payload) => line(settings, params, payload),
    },
    cliProgress.Presets.shades_classic,
  );
  // Result lines share the terminal with the bars only when stdout is that terminal too.
  const sameTerminal = process.stdout.isTTY === true && stream === process.stderr;
  return {
    visible: true,
    bar(label, total, unit = 'bytes') {
      const started = Date.now();
      const payload: Payload = { label, unit, started, rows: undefined, finished: undefined };
      const bar = multi.create(Math.max(total, 0), 0, payload);
      let finished = false;
      return {
        update(done, counts) {
          if (finished) return;
          payload.rows = counts?.rows ?? payload.rows;
          bar.update(done, payload);
        },
        increment(by = 1) {
          if (!finished) bar.increment(by, payload);
        },
        setTotal(newTotal) {
          if (!finished) bar.setTotal(newTotal);
        },
        done() {
          if (finished) return;
          finished = true;
          payload.finished = Date.now();
          bar.update(bar.getTotal(), payload);
          multi.remove(bar); // finished work leaves the display; its result line is printed above the bars

        },
      };
    },
    print(text) {
      if (sameTerminal) multi.log(`${text}\n`);
      else print(text);
    },
    stop() {
      multi.update(); // writes the result lines still waiting for a redraw
      multi.stop();
    },
  };
}

interface Payload {
  label: string;
  unit: 'bytes' | 'items';
  started: number;
  rows: number | undefined;
  /** When the bar was done: its figures stop there. */
  finished: number | undefined;
}

/** `orders.csv ████████░░░░ 52% 14.2/27.3 MiB · 412,345 rows/s · ETA 8.1 s` */
function line(settings: cliProgress.Options, params: cliProgress.Params, payload: Payload): string {
  const size = settings.barsize ?? 24;
  const ratio = params.total > 0 ? Math.min(1, params.value / params.total) : 0;
  const filled = Math.round(ratio * size);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(size - filled)}`;
  const amount =
    payload.unit === 'bytes' ? `${formatBytes(params.value)} / ${formatBytes(params.total)}` : `${formatCount(params.value)}/${formatCount(params.total)}`;
  const seconds = Math.max(0.001, ((payload.finished ?? Date.now()) - payload.started) / 1000);
  const parts = [`${payload.label} ${bar} ${String(Math.round(ratio * 100)).padStart(3)}% ${amount}`];
  if (payload.rows !== undefined) parts.push(`${formatCount(Math.round(payload.rows / seconds))} rows/s`);
  if (ratio >= 1) parts.push(`done in ${formatDuration(seconds * 1000)}`);
  else if (ratio > 0) parts.push(`ETA ${formatDuration(((1 - ratio) * seconds * 1000) / ratio)}`);
  return parts.join(' · ');
}
