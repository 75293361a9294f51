import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { createAdmin, type Admin } from '../shared/kafka/index.ts';
import { BROKERS, createTopic, DEFAULT_LIMITS, spawnEdgeServer, uniqueTopic, type EdgeServerProcess } from './testing.ts';

// The worst bodies within the default limits (10 MiB, 10,000 events), sent over real HTTP to `bun edge/server.ts` in
// its own process, whose peak resident memory is read from /proc: parsing them whole took 0.3-0.9 GB and 1-3 s.
const PORT = 18091;
const MAX_BODY = DEFAULT_LIMITS.maxBodyBytes;
const BOUND = 8 * MAX_BODY;
const topic = uniqueTopic('memory');
let admin: Admin;
let edge: EdgeServerProcess;
let pid: number;

beforeAll(async () => {
  admin = createAdmin({ brokers: BROKERS, timeoutMs: 15_000 });
  await createTopic(admin, topic, 1);
  // Not about keys: run without them (AUTH=off, loopback only).
  edge = await spawnEdgeServer({ EDGE_PORT: String(PORT), EDGE_TOPIC: topic, EDGE_PROCESSES: '1', AUTH: 'off' });
  pid = edge.servingPids[0]!;
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  await admin?.deleteTopics([topic]).catch(() => undefined);
  await admin?.close();
}, 30_000);

const statusKb = (field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** Sends one request and returns its answer and how far the server's peak resident memory rose above where it stood. */
async function measured(body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string>) {
  Bun.gc(true);
  // "5" resets the peak (VmHWM) to the current resident size (Linux proc(5), clear_refs).
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = statusKb('VmRSS');
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const answer = { status: res.status, body: (await res.json()) as { error?: { code: string; limit?: number }; results?: Array<{ code?: string }> } };
  return { ...answer, growth: statusKb('VmHWM') - before };
}

/** `unit` repeated to just under `bytes`. */
const filled = (unit: string, bytes: number, open = '', close = '') => open + unit.repeat(Math.floor((bytes - open.length - close.length) / unit.length)) + close;

describe('a request is refused before its body is built, within a small multiple of the body limit', () => {
  test('gzip of 10 MiB of {} NDJSON lines is 413 too_many_events', async () => {
    const text = filled('{}\n', MAX_BODY);
    const r = await measured(Bun.gzipSync(text), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'too_many_events', limit: DEFAULT_LIMITS.maxEventsPerRequest });
    expect(r.growth).toBeLessThan(BOUND);
  }, 60_000);

  test('a 10 MiB JSON array of {} is 413 too_many_events', async () => {
    const r = await measured(filled('{},', MAX_BODY, '[', '{}]'), {});
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('too_many_events');
    expect(r.growth).toBeLessThan(BOUND);
  }, 60_000);

  test('a 10 MiB {"events": [...]} of {} is 413 too_many_events', async () => {
    const r = await measured(filled('{},', MAX_BODY, '{"events":[', '{}]}'), {});
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('too_many_events');
    expect(r.growth).toBeLessThan(BOUND);
  }, 60_000);

  test('10 MiB of nested arrays is one event rejected as too_deep', async () => {
    const depth = MAX_BODY / 2;
    const r = await measured('['.repeat(depth) + ']'.repeat(depth), {});
    expect(r.status).toBe(400);
    expect(r.body.results).toEqual([expect.objectContaining({ code: 'too_deep' })]);
    expect(r.growth).toBeLessThan(BOUND);
  }, 60_000);

  test('a single 10 MiB event full of {} is 413 event_too_large', async () => {
    const r = await measured(filled('{},', MAX_BODY, '{"type":"dense","data":{"x":[', '{}]}}'), {});
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('event_too_large');
    expect(r.growth).toBeLessThan(BOUND);
  }, 60_000);

  test('an NDJSON line of 10 MiB of nested arrays is rejected as event_too_large without being parsed', async () => {
    const depth = MAX_BODY / 2 - 1;
    const r = await measured(`${'['.repeat(depth)}${']'.repeat(depth)}\n`, { 'content-type': 'application/x-ndjson' });
    expect(r.status).toBe(400);
    expect(r.body.results).toEqual([expect.objectContaining({ code: 'event_too_large' })]);
    expect(r.growth).toBeLessThan(BOUND);
  }, 60_000);

  test('NDJSON lines of nested arrays, each within the event size limit, are each rejected as too_deep', async () => {
    const depth = DEFAULT_LIMITS.maxEventBytes / 2 - 1;
    const line = `${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    const lines = Math.floor(MAX_BODY / line.length);
    const r = await measured(line.repeat(lines), { 'content-type': 'application/x-ndjson' });
    expect(r.status).toBe(400);
    expect(r.body.results).toHaveLength(lines);
    expect(r.body.results!.every((item) => item.code === 'too_deep')).toBe(true);
    expect(r.growth).toBeLessThan(BOUND);
  }, 60_000);
});
