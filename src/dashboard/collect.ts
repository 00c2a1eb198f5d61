import { DASHBOARD_QUERIES, type DatasetKey } from './queries.js';
import type { LakeReader, ResultSet } from './ports.js';

/** Every dataset of the page, read from the lake now; a model the lake does not have yet is named, not an error. */

export type DashboardDataset =
  | ({ status: 'ok' } & ResultSet)
  | { status: 'missing'; model: string }
  /** The model exists but the query failed on it (a column renamed, say): the page says so in place of the chart. */
  | { status: 'error'; model: string; message: string };

export interface DashboardData {
  generatedAt: string;
  lake: string;
  datasets: Record<DatasetKey, DashboardDataset>;
}

export async function collectDashboardData(reader: LakeReader, lake: string, now = new Date()): Promise<DashboardData> {
  return reader.read(async (session) => {
    const relations = await session.relations();
    const datasets = {} as Record<DatasetKey, DashboardDataset>;
    for (const [key, query] of Object.entries(DASHBOARD_QUERIES) as Array<[DatasetKey, (typeof DASHBOARD_QUERIES)[DatasetKey]]>) {
      if (!relations.has(query.model)) {
        datasets[key] = { status: 'missing', model: query.model };
        continue;
      }
      try {
        datasets[key] = { status: 'ok', ...(await session.query(query.sql)) };
      } catch (error) {
        datasets[key] = { status: 'error', model: query.model, message: (error as Error).message.split('\n')[0]! };
      }
    }
    return { generatedAt: now.toISOString(), lake, datasets };
  });
}
