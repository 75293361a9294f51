import type { Sql } from 'postgres';
import { isMissingTable } from './errors.ts';

/** A row of the legacy sensor_data table (workers/sinks/postgres/migrations.ts). */
export interface SensorReadingRow {
  readonly event_id: string;
  readonly sensor_id: string;
  readonly value: number;
  readonly unit: string | null;
  readonly timestamp: Date;
  readonly received_at: Date;
}

export interface SensorQuery {
  readonly sensorId?: string | null;
  /** Epoch ms, inclusive. */
  readonly from?: number | null;
  /** Epoch ms, exclusive. */
  readonly to?: number | null;
  readonly limit: number;
}

/**
 * Newest readings first. One statement whatever the filters (nulls switch them off), so postgres.js prepares it once
 * per connection; the (sensor_id, timestamp) index serves the per-sensor case.
 */
export async function readSensorData(sql: Sql, schema: string, { sensorId = null, from = null, to = null, limit }: SensorQuery) {
  const table = sql(`${schema}.sensor_data`);
  const fromAt = from === null ? null : new Date(from);
  const toAt = to === null ? null : new Date(to);
  try {
    return await sql<SensorReadingRow[]>`
      select event_id, sensor_id, value, unit, "timestamp", received_at from ${table}
      where (${sensorId}::text is null or sensor_id = ${sensorId}::text)
        and (${fromAt}::timestamptz is null or "timestamp" >= ${fromAt}::timestamptz)
        and (${toAt}::timestamptz is null or "timestamp" < ${toAt}::timestamptz)
      order by "timestamp" desc, event_id desc
      limit ${limit}`;
  } catch (error) {
    // No sensor reading was ever written (the sink creates the table on its first write).
    if (isMissingTable(error)) return [];
    throw error;
  }
}

/** Events with timestamp in [from, to), for the analytics route when the search node is down. */
export async function countEventsInPostgres(sql: Sql, schema: string, from: number | null, to: number | null): Promise<number> {
  const table = sql(`${schema}.events`);
  const fromAt = from === null ? null : new Date(from);
  const toAt = to === null ? null : new Date(to);
  try {
    const [row] = await sql<Array<{ count: string }>>`
      select count(*) as count from ${table}
      where (${fromAt}::timestamptz is null or event_time >= ${fromAt}::timestamptz)
        and (${toAt}::timestamptz is null or event_time < ${toAt}::timestamptz)`;
    return Number(row?.count ?? 0);
  } catch (error) {
    if (isMissingTable(error)) return 0;
    throw error;
  }
}
