import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Local HTTP servers on 127.0.0.1 answering in the real shapes of the three shipped APIs — TfNSW's roads/spatial CSV,
 * Polygon's aggregates, Open-Meteo's archive — with data made up here, and faults queued on demand: 429 with and
 * without Retry-After, a 5xx, TfNSW's 403 rate limit, a hang (timeout), a body cut short, an HTML error page.
 */

export interface RecordedRequest {
  url: URL;
  headers: IncomingMessage['headers'];
}

export type FaultKind =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'cut' }
  | { kind: 'html'; status?: number };

export interface FakeApi {
  url: string;
  requests: RecordedRequest[];
  /** The next `times` requests whose URL contains `match` (any, when omitted) get this fault instead of an answer. */
  fault(fault: FaultKind, options?: { times?: number; match?: string }): void;
  stop(): Promise<void>;
}

type Handler = (url: URL, req: IncomingMessage, res: ServerResponse, origin: string) => void;

export async function startFakeApi(handler: Handler): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const faults: Array<{ fault: FaultKind; times: number; match?: string }> = [];
  const sockets = new Set<Socket>();
  let origin = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    requests.push({ url, headers: req.headers });
    const queued = faults.find((f) => f.times > 0 && (!f.match || url.href.includes(f.match)));
    if (queued) {
      queued.times--;
      return applyFault(queued.fault, res);
    }
    handler(url, req, res, origin);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    fault: (fault, options = {}) => faults.push({ fault, times: options.times ?? 1, match: options.match }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function applyFault(fault: FaultKind, res: ServerResponse): void {
  switch (fault.kind) {
    case 'status':
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    case 'hang':
      return; // never answers; the socket is destroyed when the server stops
    case 'cut':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"results":[{"v":1');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    case 'html':
      res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
      return;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const daysFrom = (start: string, untilExclusive: string) => {
  const out: string[] = [];
  for (let ms = Date.parse(`${start}T00:00:00Z`); ms < Date.parse(`${untilExclusive}T00:00:00Z`); ms += DAY_MS) out.push(isoDay(ms));
  return out;
};

// ---------------------------------------------------------------- TfNSW roads/spatial (CSV)

export const TFNSW_KEY = 'tfnsw-test-key-3f9a';
export const TFNSW_HEADER = [
  'station_key', 'traffic_direction_seq', 'cardinal_direction_seq', 'classification_seq', 'date', 'year', 'month',
  'day_of_week', 'public_holiday', 'school_holiday', 'daily_total', ...Array.from({ length: 24 }, (_, h) => `hour_${String(h).padStart(2, '0')}`),
];

/** Rows of one station over `[start, until)`: two directions, two vehicle classes a day. Station 9999 has no data. */
export function tfnswRows(station: string, start: string, until: string): string[][] {
  if (station === '9999') return [];
  const rows: string[][] = [];
  for (const date of daysFrom(start, until)) {
    const d = new Date(`${date}T00:00:00Z`);
    for (const direction of [1, 2]) {
      for (const classification of [1, 2]) {
        const hours = Array.from({ length: 24 }, (_, h) => (Number(station) % 97) + d.getUTCDate() * 3 + h * direction + classification * 7);
        const dayOfWeek = ((d.getUTCDay() + 6) % 7) + 1; // 1 = Monday
        rows.push([
          station, String(direction), String(direction === 1 ? 1 : 5), String(classification), date, String(d.getUTCFullYear()),
          String(d.getUTCMonth() + 1), String(dayOfWeek), date.endsWith('-01-26') ? 'true' : 'false', 'false',
          String(hours.reduce((a, b) => a + b, 0)), ...hours.map(String),
        ]);
      }
    }
  }
  return rows;
}

/** `data.through`: the last day the API has counts for (a month still open has only its first days). */
export function tfnswHandler(data: { through?: string } = {}): Handler {
  return (url, req, res) => {
    if (url.pathname !== '/v1/roads/spatial') return json(res, 404, { ErrorDetails: { Message: `no route ${url.pathname}` } });
    if (req.headers.authorization !== `apikey ${TFNSW_KEY}`) {
      return json(res, 401, { ErrorDetails: { TransactionId: '000001', Message: 'The request is unauthorised', RequestedMethod: 'GET' } });
    }
    const q = url.searchParams.get('q') ?? '';
    const m = /station_key = '([^']+)' and date >= '([\d-]+)' and date < '([\d-]+)'/.exec(q);
    if (url.searchParams.get('format') !== 'csv' || !m) return json(res, 400, { ErrorDetails: { Message: `cannot run query: ${q}` } });
    const rows = tfnswRows(m[1]!, m[2]!, m[3]!).filter((row) => !data.through || row[4]! <= data.through);
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
    res.end([TFNSW_HEADER, ...rows].map((r) => r.join(',')).join('\n') + '\n');
  };
}

// ---------------------------------------------------------------- Polygon aggregates (JSON)

export const POLYGON_KEY = 'polygon-test-key-77c1';
/** NYSE holidays of early 2024 the fake market is closed on, besides weekends. */
export const MARKET_HOLIDAYS = new Set(['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19']);

export function tradingDays(from: string, to: string): string[] {
  const next = isoDay(Date.parse(`${to}T00:00:00Z`) + DAY_MS);
  return daysFrom(from, next).filter((day) => {
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !MARKET_HOLIDAYS.has(day);
  });
}

/** Midnight in New York of a date, in epoch ms, as Polygon's daily bars carry it in `t`. */
export function newYorkMidnight(day: string): number {
  const utc = Date.parse(`${day}T00:00:00Z`);
  const offset = new Date(utc).toLocaleString('en-US', { timeZone: 'America/New_York', timeZoneName: 'shortOffset' }).includes('GMT-4') ? 4 : 5;
  return utc + offset * 3_600_000;
}

export function polygonBar(ticker: string, day: string) {
  const base = ticker.charCodeAt(0) * 2 + Number(day.slice(8, 10)) + Number(day.slice(5, 7)) * 10;
  return { v: base * 1_000_000 + 0.5, vw: base + 0.25, o: base, c: base + 1.5, h: base + 2, l: base - 1, t: newYorkMidnight(day), n: base * 100 };
}

/** `pageSize` caps results per page below the request's `limit`, so pagination over next_url can be exercised. */
export function polygonHandler(options: { pageSize?: number } = {}): Handler {
  return (url, _req, res, origin) => {
    const m = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/1\/day\/([\d-]+)\/([\d-]+)$/.exec(url.pathname);
    if (!m) return json(res, 404, { status: 'NOT_FOUND', request_id: 'r0', message: 'Not found' });
    if (url.searchParams.get('apiKey') !== POLYGON_KEY) {
      return json(res, 401, { status: 'ERROR', request_id: 'r1', error: 'Unknown API Key' });
    }
    const [, ticker, from, to] = m as unknown as [string, string, string, string];
    if (ticker === 'BAD') return json(res, 200, { status: 'ERROR', request_id: 'r2', error: 'Ticker BAD is not supported' });
    const days = tradingDays(from, to);
    const offset = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || '0');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 5000), options.pageSize ?? Infinity);
    const page = days.slice(offset, offset + limit).map((day) => polygonBar(ticker, day));
    const body: Record<string, unknown> = {
      ticker, queryCount: page.length, resultsCount: page.length, adjusted: true, status: 'OK', request_id: 'r3', count: page.length,
    };
    if (page.length > 0) body.results = page;
    if (offset + limit < days.length) {
      const cursor = Buffer.from(String(offset + limit)).toString('base64url');
      body.next_url = `${origin}${url.pathname}?cursor=${cursor}&adjusted=true&sort=asc&limit=${url.searchParams.get('limit')}`;
    }
    json(res, 200, body);
  };
}

// ---------------------------------------------------------------- Open-Meteo archive (JSON columns)

export function openMeteoValue(latitude: number, day: string, variable: string): number | null {
  const n = Number(day.slice(8, 10));
  if (variable === 'precipitation_sum' && n % 10 === 3) return null; // a missing value, as Open-Meteo sends it
  const base = { temperature_2m_max: 25, temperature_2m_min: 14, precipitation_sum: 0.4, wind_speed_10m_max: 18 }[variable] ?? 0;
  return Math.round((base + (n % 7) * 0.5 + Math.abs(latitude) / 100) * 10) / 10;
}

export function openMeteoHandler(): Handler {
  return (url, _req, res) => {
    if (url.pathname !== '/v1/archive') return json(res, 404, { error: true, reason: 'Not Found' });
    const latitude = Number(url.searchParams.get('latitude'));
    const longitude = Number(url.searchParams.get('longitude'));
    const start = url.searchParams.get('start_date') ?? '';
    const end = url.searchParams.get('end_date') ?? '';
    const daily = (url.searchParams.get('daily') ?? '').split(',').filter(Boolean);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || !/^\d{4}-\d{2}-\d{2}$/.test(end)) {
      return json(res, 400, { error: true, reason: "Parameter 'start_date' and 'end_date' must be dates" });
    }
    if (start < '1940-01-01') return json(res, 400, { error: true, reason: `Parameter 'start_date' is out of allowed range from 1940-01-01 to 2026-11-30` });
    const days = daysFrom(start, isoDay(Date.parse(`${end}T00:00:00Z`) + DAY_MS));
    const body = {
      latitude, longitude, generationtime_ms: 0.2, utc_offset_seconds: 36000, timezone: url.searchParams.get('timezone') ?? 'GMT',
      timezone_abbreviation: 'AEST', elevation: 12,
      daily_units: Object.fromEntries([['time', 'iso8601'], ...daily.map((v) => [v, v.startsWith('temp') ? '°C' : v.startsWith('prec') ? 'mm' : 'km/h'])]),
      daily: Object.fromEntries([['time', days], ...daily.map((v) => [v, days.map((d) => openMeteoValue(latitude, d, v))])]),
    };
    json(res, 200, body);
  };
}
