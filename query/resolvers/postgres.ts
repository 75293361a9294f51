import type { GatewayContext } from '../context.ts';
import { checkRange } from '../search.ts';
import { readSensorData, type SensorReadingRow } from '../sensor-data.ts';
import { pageSize } from './paging.ts';

interface ReadingsArgs {
  sensorId?: string | null;
  from?: number | null;
  to?: number | null;
  limit?: number | null;
}

async function readings(_: unknown, { sensorId, from, to, limit }: ReadingsArgs, ctx: GatewayContext) {
  checkRange(from, to);
  const size = pageSize(limit, ctx.config.maxFirst, 'limit');
  return ctx.read('postgres', () => readSensorData(ctx.stores.sql, ctx.config.pgSchema, { sensorId, from, to, limit: size }));
}

export const postgresResolvers = {
  Query: { readings },
  SensorReading: {
    eventId: (row: SensorReadingRow) => row.event_id,
    sensorId: (row: SensorReadingRow) => row.sensor_id,
    receivedAt: (row: SensorReadingRow) => row.received_at,
  },
};
