/**
 * Deterministic clickstream events as JSON lines, as a web tracker sends them through Kinesis to Firehose: the sample
 * in samples/ and the oracle test's input come from here. Spaced and camelCase keys, nulls, a nested `context`
 * object, revenue as exact decimals on purchases, and (with `bad`) the lines a real stream delivers now and then: an
 * at-least-once duplicate, a truncated line and an unknown event type.
 *
 *   tsx scripts/clickstream-jsonl.ts --events 2000 --bad > samples/clickstream_events.jsonl
 */
import { pathToFileURL } from 'node:url';

export interface ClickstreamOptions {
  events: number;
  seed?: number;
  /** First event time, ISO. */
  start?: string;
  bad?: boolean;
}

const TYPES = ['page_view', 'page_view', 'page_view', 'click', 'click', 'add_to_cart', 'purchase'];
const PAGES = ['/', '/products', '/products/espresso-machine', '/products/desk-lamp', '/cart', '/checkout', '/search?q=café', '/über-uns'];
const AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1', 'curl/8.5.0'];
const COUNTRIES = ['DE', 'US', 'AU', 'FR', null];

export function clickstreamLines(options: ClickstreamOptions): string[] {
  let state = options.seed ?? 7;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const start = Date.parse(options.start ?? '2024-03-05T06:00:00Z');
  const lines: string[] = [];
  for (let i = 0; i < options.events; i++) {
    const type = pick(TYPES);
    const at = new Date(start + Math.floor((i * 3 * 3600_000) / options.events) + Math.floor(random() * 1000));
    const event = {
      'Event ID': `evt-${String(i + 1).padStart(6, '0')}`,
      userId: `u-${1 + Math.floor(random() * 300)}`,
      session_id: random() < 0.1 ? null : `s-${1 + Math.floor(random() * 900)}`,
      event_type: type,
      page: pick(PAGES),
      referrer: random() < 0.5 ? null : pick(['https://www.google.com/', 'https://news.ycombinator.com/', '']),
      context: {
        user_agent: pick(AGENTS),
        geo: { country: pick(COUNTRIES), city: random() < 0.3 ? 'Zürich' : null },
        screen: [pick([390, 1280, 1920]), pick([844, 800, 1080])],
        campaign: random() < 0.2 ? { source: 'newsletter', id: String(9007199254740993n + BigInt(i)) } : null,
      },
      revenue: type === 'purchase' ? (5 + Math.floor(random() * 50000) / 100).toFixed(2) : null,
      event_time: at.toISOString(),
    };
    let line = JSON.stringify(event);
    // exact numbers as a tracker writes them: a big id and a decimal as number text, not strings
    line = line.replace(/"revenue":"([\d.]+)"/, '"revenue":$1').replace(/"id":"(\d+)"/, '"id":$1');
    lines.push(line);
  }
  if (options.bad) {
    lines.splice(40, 0, lines[39]!); // Firehose delivered a record twice
    lines.splice(120, 0, lines[119]!.slice(0, 57)); // a line cut off
    lines[300] = lines[300]!.replace(/"event_type":"[a-z_]+"/, '"event_type":"hover"');
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  const events = process.argv.includes('--events') ? Number(arg('--events')) : 2000;
  process.stdout.write(`${clickstreamLines({ events, bad: process.argv.includes('--bad') }).join('\n')}\n`);
}
