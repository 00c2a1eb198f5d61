import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { openLocalLake } from '../../src/adapters/local/local-lake.js';
import { ingestFiles } from '../../src/cli/commands/ingest.js';
import { replayQuarantineFile } from '../../src/cli/commands/replay.js';
import { clickstreamLines } from '../../scripts/clickstream-jsonl.js';
import { expectNothingLost } from '../support/local.js';
import { sq } from '../support/oracle-sql.js';

/**
 * The oracle for JSON lines: DuckDB's own read_json over the source file, with the contract's rules applied in SQL
 * (unknown event types out, later duplicates of an event id out, unreadable lines skipped), must equal DuckDB over
 * the lake's Parquet — counts, per-column sums and counts, and a join on the key — minus exactly the quarantined rows.
 */
function expectedSql(file: string): string {
  return `
    WITH src AS (
      SELECT *, row_number() OVER () AS rn
      FROM read_json(${sq(file)}, format = 'newline_delimited', ignore_errors = true, columns = {
        'Event ID': 'VARCHAR', userId: 'VARCHAR', session_id: 'VARCHAR', event_type: 'VARCHAR', page: 'VARCHAR',
        referrer: 'VARCHAR', revenue: 'DECIMAL(12,2)', event_time: 'TIMESTAMP',
        context: 'STRUCT(user_agent VARCHAR, geo STRUCT(country VARCHAR), screen INTEGER[], campaign STRUCT(id BIGINT))'
      })
    )
    SELECT "Event ID" AS event_id, userId AS user_id, session_id, event_type, page, nullif(referrer, '') AS referrer,
           context.user_agent AS user_agent, context.geo.country AS country, context.screen[1] AS screen_width,
           context.campaign.id AS campaign_id, revenue, event_time
    FROM src
    WHERE event_type IN ('page_view', 'click', 'add_to_cart', 'purchase') AND "Event ID" IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY "Event ID" ORDER BY rn) = 1`;
}

const SUMMARY = [
  'count(*)', 'count(session_id)', 'count(referrer)', 'count(country)', 'sum(screen_width)', 'sum(campaign_id)',
  'sum(revenue)', 'min(event_time)', 'max(event_time)', 'count(DISTINCT user_id)', 'sum(length(page))', 'count(user_agent)',
].map((a) => `${a}::VARCHAR`).join(', ');

describe('JSON-lines oracle', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-jsonl-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('the sample lands as DuckDB reads it, minus exactly the quarantined lines; a fixed quarantine file replays', async () => {
    const local = await openLocalLake(path.join(work, 'lake'));
    const contracts = await loadContractDirectory('datasets');
    const [manifest] = await ingestFiles(['samples/clickstream_events.jsonl'], undefined, { local, contracts }, () => undefined);
    expectNothingLost(manifest!);
    expect(manifest).toMatchObject({ rowsRead: 2002, rowsWritten: 1999, quarantinedByRule: { malformed: 1, unique: 1, accepted_values: 1 } });
    expect(manifest!.partitions).toContain('year=2024/month=03/day=05/hour=07/');
    const source = path.resolve('samples/clickstream_events.jsonl');
    const compare = await runQuery(
      local.catalog,
      `SELECT (SELECT [${SUMMARY}]::VARCHAR FROM (${expectedSql(source)})) AS expected,
              (SELECT [${SUMMARY}]::VARCHAR FROM clickstream_events) AS actual,
              (SELECT count(*) FROM (${expectedSql(source)}) e JOIN clickstream_events t USING (event_id)
                 WHERE e.user_id = t.user_id AND e.event_time = t.event_time AND e.revenue IS NOT DISTINCT FROM t.revenue
                   AND e.campaign_id IS NOT DISTINCT FROM t.campaign_id) AS joined`,
    );
    const [expected, actual, joined] = compare.rows[0]!.map(String);
    expect(expected).toMatch(/^\[1999, \d+, \d+, \d+, \d+, \d{18,}, \d+\.\d\d, '2024-03-05 06:/);
    expect(actual).toBe(expected);
    expect(Number(joined)).toBe(1999);
    // A bigint past 2^53 lands exact, and the whole context is kept as JSON text.
    const exact = await runQuery(local.catalog, `SELECT campaign_id::VARCHAR, json_extract_string(context, '$.geo.city') FROM clickstream_events WHERE event_id = 'evt-000001'`);
    expect(exact.rows[0]!.map(String)).toEqual(['9007199254740993', 'Zürich']);

    // The quarantine file keeps each bad line's text byte for byte; fixed, it replays.
    const quarantineFile = local.lake.quarantine.locationOf(manifest!.quarantineFile!);
    const quarantined = (await readFile(quarantineFile, 'utf8')).trimEnd().split('\n');
    const lines = (await readFile('samples/clickstream_events.jsonl', 'utf8')).split('\n');
    const truncated = quarantined.map((q) => JSON.parse(q) as Record<string, unknown>).find((q) => q._error_rule === 'malformed')!;
    expect(truncated._record_text).toBe(lines[Number(truncated._source_line) - 1]);
    const fixed = quarantined
      .filter((q) => !q.includes('"_error_rule":"unique"'))
      .map((q) => q.replace('"event_type":"hover"', '"event_type":"click"').replace(/"_record_text":".*"\}$/, `"_record":${JSON.stringify({ 'Event ID': 'evt-fixed', userId: 'u-1', event_type: 'click', page: '/', event_time: '2024-03-05T07:00:00Z' })}}`));
    const fixedFile = path.join(path.dirname(quarantineFile), 'fixed.jsonl');
    await writeFile(fixedFile, fixed.join('\n') + '\n');
    const replayed = await replayQuarantineFile(fixedFile, undefined, { local, contracts }, () => undefined);
    expect(replayed).toMatchObject({ rowsRead: 2, rowsWritten: 2, rowsQuarantined: 0 });
    expect(Number((await runQuery(local.catalog, 'SELECT count(*) FROM clickstream_events')).rows[0]![0])).toBe(2001);
  });

  it('a gzip of concatenated records, as Firehose writes them, lands the same as the NDJSON', async () => {
    const local = await openLocalLake(path.join(work, 'lake'));
    const contracts = await loadContractDirectory('datasets');
    const lines = clickstreamLines({ events: 3000, seed: 11 });
    const ndjson = path.join(work, 'clickstream.jsonl');
    await writeFile(ndjson, lines.join('\r\n'));
    const firehose = path.join(work, 'clickstream_events-1-2024-03-05-06-00-00-abc');
    await writeFile(firehose, gzipSync(lines.join('')));
    const [manifest] = await ingestFiles([firehose], 'clickstream_events', { local, contracts }, () => undefined);
    expect(manifest).toMatchObject({ rowsRead: 3000, rowsWritten: 3000, rowsQuarantined: 0, warnings: [] });
    const compare = await runQuery(
      local.catalog,
      `SELECT (SELECT [${SUMMARY}]::VARCHAR FROM (${expectedSql(ndjson)})), (SELECT [${SUMMARY}]::VARCHAR FROM clickstream_events)`,
    );
    expect(String(compare.rows[0]![1])).toBe(String(compare.rows[0]![0]));
  });
});
