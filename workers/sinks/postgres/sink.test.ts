import { afterAll, afterEach, beforeEach, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import type { StampedEvent } from '../../../shared/contracts/index.ts';
import { connectionsConfig } from '../../../shared/config/connections.ts';
import { loadConfig } from '../../../shared/config/index.ts';
import { ok, type Outcome } from '../../outcomes.ts';
import type { Sink } from '../types.ts';
import { createPostgresSink, migrate, postgresSinkConfig } from './index.ts';

// Runs against the real server in DATABASE_URL. It is shared, so each test gets a schema of its own and drops it.
const url = loadConfig(connectionsConfig).databaseUrl;
const admin = postgres(url, { max: 4, onnotice: () => {} });
const NOW = Date.parse('2025-03-10T12:00:00.000Z');

let schema = '';
const sinks: Sink[] = [];

beforeEach(() => {
  schema = `test_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await admin.unsafe(`drop schema if exists ${schema} cascade`);
});
afterAll(() => admin.end());

function sinkFor({ target = url, settings = {} }: { target?: string; settings?: Record<string, unknown> } = {}): Sink {
  const config = loadConfig(postgresSinkConfig, {}, { schema, partitionsAhead: 1, maxConnections: 2, connectTimeoutSeconds: 2, ...settings });
  const sink = createPostgresSink({ url: target, config, now: () => NOW });
  sinks.push(sink);
  return sink;
}

function event(n: number, fields: Partial<StampedEvent> = {}): StampedEvent {
  return {
    id: `evt-${n}`,
    type: 'order.created',
    source: 'orders',
    timestamp: '2025-03-10T08:00:00.123Z',
    key: `order-${n}`,
    receivedAt: '2025-03-10T08:00:01.456Z',
    data: { n, order_id: `o-${n}`, nested: { list: [1, 'two', null, true], quote: 'it\'s "quoted" \\ {braced}, ünïcode' } },
    ...fields,
  };
}

const reading = (n: number, data: StampedEvent['data']) =>
  event(n, { type: 'sensor.reading', source: 'sensors', key: `s-${n}`, data: { sensor_id: `s-${n}`, ...data } });
type SensorRow = { event_id: string; sensor_id: string; value: number; unit: string | null; timestamp: Date; received_at: Date };
const table = (name: string) => admin(`${schema}.${name}`);
const allOk = (count: number): Outcome[] => Array.from({ length: count }, () => ok);
/** Rows as plain objects, so they compare with toEqual; postgres.js results also carry query metadata. */
const plain = <T>(rows: readonly T[]): T[] => [...rows];

describe('the postgres sink', () => {
  test('migrations create the tables and running them again, even concurrently, changes nothing', async () => {
    const runs = await Promise.all([migrate(admin, { schema }), migrate(admin, { schema }), migrate(admin, { schema })]);
    expect(runs.flat().sort()).toEqual([1, 2, 3, 4]);
    expect(await migrate(admin, { schema })).toEqual([]);
    const [tables] = await admin`
      select to_regclass(${`${schema}.events`}) is not null as events, to_regclass(${`${schema}.events_default`}) is not null as fallback,
             to_regclass(${`${schema}.sensor_data`}) is not null as sensors`;
    expect(tables).toEqual({ events: true, fallback: true, sensors: true });
    const versions = await admin<Array<{ version: number; name: string }>>`select version, name from ${table('schema_migrations')} order by version`;
    expect(plain(versions)).toEqual([
      { version: 1, name: 'create_events' },
      { version: 2, name: 'create_sensor_data' },
      { version: 3, name: 'events_time_brin' },
      { version: 4, name: 'event_id_collate_c' },
    ]);
  });

  test('events are indexed by id and by time (BRIN), on the partitions the sink creates too', async () => {
    await migrate(admin, { schema });
    const day = '20250310'; // event(1)'s day
    expect(await sinkFor().write([event(1)])).toEqual(allOk(1));
    const indexes = await admin<Array<{ table: string; def: string }>>`
      select tablename as table, indexdef as def from pg_indexes where schemaname = ${schema} and tablename like 'events%' `;
    const ofTable = (name: string) => indexes.filter((i) => i.table === name).map((i) => i.def.replace(/^.* USING /, '')).sort();
    expect(ofTable('events')).toEqual(['brin (event_time)', 'btree (event_id, event_time)']);
    expect(ofTable(`events_p${day}`)).toEqual(['brin (event_time)', 'btree (event_id, event_time)']);
    // Bytewise ids (migration 4) on every table that stores them, including partitions made after the migration.
    const collations = await admin<Array<{ table: string; collation: string }>>`
      select c.relname as table, coll.collname as collation from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace join pg_collation coll on coll.oid = a.attcollation
      where n.nspname = ${schema} and a.attname = 'event_id' and c.relkind in ('r', 'p') order by 1`;
    expect(collations.map((c) => c.table)).toEqual(expect.arrayContaining(['events', `events_p${day}`, 'events_default', 'sensor_data']));
    expect(new Set(collations.map((c) => c.collation))).toEqual(new Set(['C']));
  });

  test('a batch of events is stored with every field intact', async () => {
    const batch = [
      event(1),
      event(2, { source: undefined, timestamp: '2025-03-10T23:59:59.999Z' }),
      // The envelope travels in array literals: quotes, backslashes, braces, commas and the word NULL stay text.
      event(3, { type: 'a,b {c}', source: 'NULL', key: 'k "q" \\ \'s\' ünï' }),
    ];
    expect(await sinkFor().write(batch)).toEqual(allOk(3));
    const rows = await admin<Array<Record<string, unknown> & { event_time: Date; received_at: Date }>>`
      select event_id, type, source, key, event_time, received_at, data, processed_at is not null as processed
      from ${table('events')} order by event_id`;
    expect(rows.map((row) => ({ ...row, event_time: row.event_time.toISOString(), received_at: row.received_at.toISOString() }))).toEqual(
      batch.map((e) => ({
        event_id: e.id,
        type: e.type,
        source: e.source ?? null,
        key: e.key,
        event_time: e.timestamp,
        received_at: e.receivedAt,
        data: e.data,
        processed: true,
      })),
    );
  });

  test('writing the same batch twice leaves one row per event', async () => {
    const sink = sinkFor();
    const batch = Array.from({ length: 50 }, (_, n) => event(n));
    expect(await sink.write(batch)).toEqual(allOk(50));
    expect(await sink.write([...batch, ...batch.slice(0, 5)])).toEqual(allOk(55));
    const [counts] = await admin<Array<{ rows: number; ids: number }>>`select count(*)::int as rows, count(distinct event_id)::int as ids from ${table('events')}`;
    expect(counts).toEqual({ rows: 50, ids: 50 });
  });

  test('events on different days go into their daily partitions, and far-off days into the default one', async () => {
    const batch = [
      event(1, { timestamp: '2025-03-09T10:00:00.000Z' }),
      event(2, { timestamp: '2025-03-10T00:00:00.000Z' }),
      event(3, { timestamp: '2025-03-12T23:59:59.999Z' }),
      event(4, { timestamp: '2001-01-01T00:00:00.000Z' }),
    ];
    expect(await sinkFor().write(batch)).toEqual(allOk(4));
    const placed = await admin<Array<{ event_id: string; part: string }>>`select event_id, tableoid::regclass::text as part from ${table('events')} order by event_id`;
    expect(plain(placed)).toEqual([
      { event_id: 'evt-1', part: `${schema}.events_p20250309` },
      { event_id: 'evt-2', part: `${schema}.events_p20250310` },
      { event_id: 'evt-3', part: `${schema}.events_p20250312` },
      { event_id: 'evt-4', part: `${schema}.events_default` },
    ]);
    const parts = await admin<Array<{ name: string }>>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ${`${schema}.events`}::regclass order by 1`;
    // 03-10 and 03-11 are today and the one day ahead the sink pre-creates.
    expect(parts.map((p) => p.name)).toEqual(['events_default', 'events_p20250309', 'events_p20250310', 'events_p20250311', 'events_p20250312']);
  });

  test('sensor readings also appear in sensor_data once, and a reading without a numeric value is stored in events only', async () => {
    const sink = sinkFor();
    const batch = [reading(1, { value: 21.5, unit: 'C' }), event(2), reading(3, { value: -4 }), reading(4, { value: 'warm' })];
    const expected = [{ type: 'ok' }, { type: 'ok' }, { type: 'ok' }, { type: 'ok' }];
    expect(await sink.write(batch)).toMatchObject(expected);
    expect(await sink.write(batch)).toMatchObject(expected);
    const rows = await admin<SensorRow[]>`
      select event_id, sensor_id, value, unit, "timestamp", received_at from ${table('sensor_data')} order by event_id`;
    expect(rows.map((row) => ({ ...row, timestamp: row.timestamp.toISOString(), received_at: row.received_at.toISOString() }))).toEqual([
      { event_id: 'evt-1', sensor_id: 's-1', value: 21.5, unit: 'C', timestamp: '2025-03-10T08:00:00.123Z', received_at: '2025-03-10T08:00:01.456Z' },
      { event_id: 'evt-3', sensor_id: 's-3', value: -4, unit: null, timestamp: '2025-03-10T08:00:00.123Z', received_at: '2025-03-10T08:00:01.456Z' },
    ]);
    const [events] = await admin<Array<{ count: number }>>`select count(*)::int as count from ${table('events')}`;
    expect(events?.count).toBe(4);
  });

  test('an event with a NUL byte is dead-lettered while the rest of its batch is stored', async () => {
    const batch = [event(1), event(2, { data: { note: 'nul \u0000 here' } }), event(3), event(4, { key: 'k\u0000' }), event(5)];
    const outcomes = await sinkFor().write(batch);
    expect(outcomes).toMatchObject([
      { type: 'ok' },
      { type: 'dlq', reason: 'invalid_value' },
      { type: 'ok' },
      { type: 'dlq', reason: 'invalid_value' },
      { type: 'ok' },
    ]);
    const stored = await admin<Array<{ event_id: string }>>`select event_id from ${table('events')} order by event_id`;
    expect(stored.map((row) => row.event_id)).toEqual(['evt-1', 'evt-3', 'evt-5']);
  });

  test('a batch whose data exceeds the chunk limit is stored whole, in several transactions of whole events', async () => {
    const blob = (n: number) => `${n}`.padEnd(512 * 1024, '.');
    const batch = Array.from({ length: 40 }, (_, n) => event(n, { data: { blob: blob(n) } }));
    expect(await sinkFor({ settings: { maxChunkBytes: 4 * 1024 * 1024 } }).write(batch)).toEqual(allOk(40));
    const rows = await admin<Array<{ event_id: string; intact: boolean; tx: string }>>`
      select event_id, data->>'blob' = rpad(split_part(event_id, '-', 2), ${512 * 1024}, '.') as intact, xmin::text as tx
      from ${table('events')}`;
    expect(rows.map((r) => r.event_id).sort()).toEqual(batch.map((e) => e.id).sort());
    expect(rows.every((r) => r.intact)).toBe(true);
    // Seven 512 KiB values fit in 4 MiB with their JSON around them, eight do not: 40 events make six chunks.
    expect(new Set(rows.map((r) => r.tx)).size).toBe(6);
  });

  test('a batch within the chunk limit is written by one statement', async () => {
    expect(await sinkFor().write(Array.from({ length: 20 }, (_, n) => event(n)))).toEqual(allOk(20));
    const rows = await admin<Array<{ tx: string }>>`select distinct xmin::text as tx from ${table('events')}`;
    expect(rows.length).toBe(1);
  });

  test('a bad event in a later chunk is dead-lettered alone and outcomes keep input order', async () => {
    const batch = Array.from({ length: 6 }, (_, n) => event(n, { data: { pad: 'x'.repeat(100) } }));
    batch[4] = event(4, { data: { note: 'nul \u0000 here' } });
    const outcomes = await sinkFor({ settings: { maxChunkBytes: 250 } }).write(batch);
    expect(outcomes).toMatchObject([{ type: 'ok' }, { type: 'ok' }, { type: 'ok' }, { type: 'ok' }, { type: 'dlq', reason: 'invalid_value' }, { type: 'ok' }]);
    const stored = await admin<Array<{ event_id: string }>>`select event_id from ${table('events')} order by event_id`;
    expect(stored.map((row) => row.event_id)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-5']);
  });

  test('with an unreachable server every event is retried and nothing throws', async () => {
    const sink = sinkFor({ target: 'postgres://postgres@127.0.0.1:1/test' });
    const outcomes = await sink.write([event(1), reading(2, { value: 1 }), event(3)]);
    expect(outcomes).toMatchObject(Array.from({ length: 3 }, () => ({ type: 'retry', reason: 'postgres_unavailable' })));
    expect(await sink.ready()).toBe(false);
  });

  test('reports ready when the server answers', async () => {
    expect(await sinkFor().ready()).toBe(true);
  });
});
