import type { Sql, TransactionSql } from 'postgres';
import type { StampedEvent } from '../../../shared/contracts/index.ts';
import { ok, type Outcome } from '../../outcomes.ts';
import type { Sink } from '../types.ts';
import { chunksByLength, type Chunk } from './chunks.ts';
import type { PostgresSinkConfig } from './config.ts';
import { createPartitions, dayOf, daysAhead, existingPartitionDays, inWindow, migrate } from './migrations.ts';
import { outcomeOfError } from './retry.ts';

export const SENSOR_READING = 'sensor.reading';

interface SensorRow {
  readonly sensorId: string;
  readonly value: number;
  readonly unit: string | null;
}

/** An event ready for the INSERT, with its position in the batch so outcomes stay in input order. */
interface Row {
  readonly index: number;
  readonly event: StampedEvent;
  readonly day: string | undefined;
  readonly sensor: SensorRow | undefined;
}

/**
 * The legacy sensor_data columns, or undefined when the reading has no numeric value for them. The edge's `/data`
 * route guarantees the shape; on the generic routes any client may send type `sensor.reading` with any data, and
 * the edge accepted it, so the event is still stored in `events` (every store holds what the edge accepts) and
 * only the sensor_data projection, which needs a number, leaves it out.
 */
function sensorRowOf(event: StampedEvent): SensorRow | undefined {
  const { sensor_id: id, value, unit } = event.data;
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const sensorId = typeof id === 'string' || typeof id === 'number' ? String(id) : event.key;
  return { sensorId, value, unit: typeof unit === 'string' ? unit : null };
}

export interface PostgresSinkParts {
  readonly sql: Sql;
  readonly config: PostgresSinkConfig;
  /** Epoch ms; decides which days get partitions. */
  readonly now: () => number;
}

const dataText = (row: Row): string => JSON.stringify(row.event.data);

/**
 * Writes each batch as one transaction of two INSERT … SELECT FROM unnest(arrays) statements. unnest rather than a
 * multi-row VALUES list because its text does not depend on the batch size: postgres.js prepares every distinct
 * statement per connection, a VALUES list would prepare one per batch length, and it would also hit Postgres's 65535
 * bind-parameter limit at ~9000 events, while the events statement always binds seven parameters (six arrays, one
 * JSON text). A batch whose data adds up to more than `maxChunkBytes` is written as several such writes, one per
 * chunk: 1,000 events of 1 MiB in one JSON parameter would exceed Postgres's 1 GB limit on a field, and the worker
 * would hold all that text at once.
 */
export function postgresSink({ sql, config, now }: PostgresSinkParts): Sink {
  const { schema } = config;
  const events = sql(`${schema}.events`);
  const sensorData = sql(`${schema}.sensor_data`);
  /** Days whose routing is settled (own partition, or DEFAULT for good); saves a DDL round trip per batch. */
  const settledDays = new Set<string>();
  let prepared: Promise<void> | undefined;

  function prepare(): Promise<void> {
    prepared ??= (async () => {
      if (config.migrate) await migrate(sql, { schema });
      for (const day of await existingPartitionDays(sql, schema)) settledDays.add(day);
    })().catch((error: unknown) => {
      prepared = undefined; // try again with the next batch rather than caching the failure
      throw error;
    });
    return prepared;
  }

  async function ensurePartitions(rows: readonly Row[]): Promise<void> {
    const nowMs = now();
    const wanted = new Set(daysAhead(nowMs, config.partitionsAhead));
    const days = new Set<string>();
    for (const { day } of rows) if (day) days.add(day);
    for (const day of days) if (inWindow(day, nowMs, config.partitionWindowDays)) wanted.add(day);
    const missing = [...wanted].filter((day) => !settledDays.has(day)).sort();
    if (missing.length === 0) return;
    for (const day of await createPartitions(sql, schema, missing)) settledDays.add(day);
  }

  async function insert({ items: rows, texts }: Chunk<Row>): Promise<void> {
    const sensors = rows.flatMap(({ event, sensor }) => (sensor ? [{ event, ...sensor }] : []));
    const column = <R>(list: readonly R[], pick: (row: R) => string | number | null) => sql.array(list.map(pick));
    // One statement is atomic on its own; the transaction (two more round trips) only when sensor rows go with it.
    const run = <T>(body: (tx: Sql | TransactionSql) => Promise<T>) => (sensors.length === 0 ? body(sql) : sql.begin(body));
    await run(async (tx) => {
      // Envelope fields as six arrays, `data` as one JSON array of the events' data, zipped by position. Postgres
      // spent ~12.8 µs of backend CPU per row turning the batch as one JSON array of whole events into rows
      // (jsonb_to_recordset) and ~9.3 µs this way; the worker pays ~0.5 µs more per event (JSON.stringify of data).
      // data is not sent as a jsonb[] array: escaping its quotes for an array literal cost the worker ~1.4 µs. The
      // JSON is bound as text and cast, since a json-typed parameter would make postgres.js JSON-encode it once more.
      await tx`
        insert into ${events} (event_id, type, source, key, event_time, received_at, data)
        select u.id, u.type, u.source, u.key, u.at, u.received_at, d.data
        from unnest(
          ${column(rows, (r) => r.event.id)}::text[], ${column(rows, (r) => r.event.type)}::text[],
          ${column(rows, (r) => r.event.source ?? null)}::text[], ${column(rows, (r) => r.event.key)}::text[],
          ${column(rows, (r) => r.event.timestamp)}::timestamptz[], ${column(rows, (r) => r.event.receivedAt)}::timestamptz[]
        ) with ordinality as u(id, type, source, key, at, received_at, n)
        join jsonb_array_elements(${`[${texts.join(',')}]`}::text::jsonb) with ordinality as d(data, n) using (n)
        on conflict do nothing`;
      if (sensors.length === 0) return;
      await tx`
        insert into ${sensorData} (event_id, sensor_id, value, unit, "timestamp", received_at)
        select id, sensor_id, value, unit, at::timestamptz, received_at::timestamptz
        from unnest(
          ${column(sensors, (r) => r.event.id)}::text[], ${column(sensors, (r) => r.sensorId)}::text[],
          ${column(sensors, (r) => r.value)}::float8[], ${column(sensors, (r) => r.unit)}::text[],
          ${column(sensors, (r) => r.event.timestamp)}::text[], ${column(sensors, (r) => r.event.receivedAt)}::text[]
        ) as u(id, sensor_id, value, unit, at, received_at)
        on conflict (event_id) do nothing`;
    });
  }

  /** One bad row fails the whole statement; writing the rows one at a time finds it and lets the others through. */
  async function insertOneByOne({ items: rows, texts }: Chunk<Row>, outcomes: Outcome[]): Promise<Outcome | undefined> {
    let down: Outcome | undefined;
    for (const [i, row] of rows.entries()) {
      if (down) {
        // The server went away mid-way: don't spend a connect timeout on each remaining row.
        outcomes[row.index] = down;
        continue;
      }
      try {
        await insert({ items: [row], texts: [texts[i] ?? 'null'] });
      } catch (error) {
        const outcome = outcomeOfError(error);
        outcomes[row.index] = outcome;
        if (outcome.type === 'retry') down = outcome;
      }
    }
    return down;
  }

  /** Returns the retry outcome that stopped it, if the server went away: the chunks after it are not tried. */
  async function insertChunk(chunk: Chunk<Row>, outcomes: Outcome[]): Promise<Outcome | undefined> {
    try {
      await insert(chunk);
      return undefined;
    } catch (error) {
      const outcome = outcomeOfError(error);
      if (outcome.type === 'retry') {
        for (const row of chunk.items) outcomes[row.index] = outcome;
        return outcome;
      }
    }
    return insertOneByOne(chunk, outcomes);
  }

  async function write(batch: readonly StampedEvent[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = batch.map(() => ok);
    const rows: Row[] = [];
    batch.forEach((event, index) => {
      rows.push({ index, event, day: dayOf(event.timestamp), sensor: event.type === SENSOR_READING ? sensorRowOf(event) : undefined });
    });
    if (rows.length === 0) return outcomes;
    try {
      await prepare();
      await ensurePartitions(rows);
    } catch (error) {
      const outcome = outcomeOfError(error);
      if (outcome.type === 'retry') {
        for (const row of rows) outcomes[row.index] = outcome;
        return outcomes;
      }
    }
    let written = 0;
    for (const chunk of chunksByLength(rows, config.maxChunkBytes, dataText)) {
      const down = await insertChunk(chunk, outcomes);
      written += chunk.items.length;
      if (!down) continue;
      // The server went away: the chunks not yet tried wait for the retry (writes are idempotent, so the ones done stay).
      for (const row of rows.slice(written)) outcomes[row.index] = down;
      break;
    }
    return outcomes;
  }

  async function ready(): Promise<boolean> {
    try {
      await sql`select 1`;
      return true;
    } catch {
      return false;
    }
  }

  async function close(): Promise<void> {
    await sql.end({ timeout: 5 });
  }

  return { name: 'postgres', write, ready, close };
}
