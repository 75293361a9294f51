import type { GatewayContext } from '../context.ts';
import { readSensorData } from '../sensor-data.ts';
import { iso, json, limitParam, RestError, timeParam } from './http.ts';

/** GET /data?sensor_id=&limit=&from_ts=&to_ts=: stored readings (Postgres sensor_data), newest first. */
export async function sensorData(url: URL, ctx: GatewayContext): Promise<Response> {
  const params = url.searchParams;
  const sensorId = params.get('sensor_id') || null;
  const from = timeParam(params, 'from_ts');
  const to = timeParam(params, 'to_ts');
  const limit = limitParam(params, ctx.config.maxFirst, 20);
  const rows = await ctx.read('postgres', () => readSensorData(ctx.stores.sql, ctx.config.pgSchema, { sensorId, from, to, limit }));
  const data = rows.map((row) => ({
    sensor_id: row.sensor_id,
    value: row.value,
    unit: row.unit,
    timestamp: iso(row.timestamp.getTime()),
    received_at: iso(row.received_at.getTime()),
    event_id: row.event_id,
  }));
  return json({ data, count: data.length });
}

/** GET /recent/:sensor_id: the newest reading of one sensor, from Redis; 404 when it never reported. */
export async function recentReading(sensorId: string, ctx: GatewayContext): Promise<Response> {
  const latest = await ctx.latest.load(sensorId);
  if (!latest) throw new RestError(404, 'not_found', `no reading for sensor ${JSON.stringify(sensorId)}`, { sensor_id: sensorId });
  return json({ sensor_id: sensorId, value: latest.value, unit: latest.unit ?? null, timestamp: latest.timestamp, event_id: latest.id });
}
