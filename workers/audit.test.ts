import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createProducer, createConsumer } from '../shared/kafka/index.ts';
import { deadLetterRecord } from '../shared/stores/dead-letter.ts';
import { eventTopic, type EventTopic } from '../shared/testing/events.ts';
import { uniqueName } from '../shared/testing/names.ts';
import { createTopic } from '../shared/testing/topics.ts';
import { readable, waitFor } from '../shared/testing/wait.ts';
import { newRun, runEnv, storeReaders, uncommitted } from './testing.ts';

// The audit as users run it (`bun workers/audit.ts`), over events a real worker process wrote while it was killed.
const ROOT = join(import.meta.dir, '..');
const TOTAL = 3_000;
const run = newRun('audit');
const stores = storeReaders();
let source: EventTopic;
const ids: string[] = [];
let from = 0;
let to = 0;

const env = () => ({ ...process.env, ...runEnv(run, source.topic, { WORKERS_SESSION_TIMEOUT_MS: '6000', WORKERS_BATCH_SIZE: '250' }) });

function startWorker() {
  return Bun.spawn([process.execPath, 'workers/main.ts', '--count', '1'], { cwd: ROOT, env: env(), stdout: 'ignore', stderr: 'ignore' });
}

// An audit of 3,000 events takes about a second. Each of its steps may wait 20 s (--timeout), so a stalled broker or
// store fails it with that step's code well before the test stops it at 50 s; the failure shows its stderr.
async function audit(...args: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([process.execPath, 'workers/audit.ts', '--from', String(from), '--to', String(to), '--progress', '--timeout', '20', ...args], {
    cwd: ROOT, env: env(), stdout: 'pipe', stderr: 'pipe', timeout: 50_000, killSignal: 'SIGKILL',
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  if ((code !== 0 && code !== 1) || out === '') throw new Error(`audit exited ${code}${proc.signalCode ? ` (${proc.signalCode})` : ''}: ${err.slice(-2000)}`);
  return { code, out };
}

beforeAll(async () => {
  source = await eventTopic({ what: 'workers_audit' });
  await createTopic(source.admin, run.dlqTopic, 1);
  from = Date.now() - 1000;
  for (let r = 0; r < TOTAL / 500; r++) {
    const published = await source.publish(Array.from({ length: 500 }, (_, i) => ({ type: 'audit.test', source: `audit-${i % 2}`, data: { r, i } })));
    ids.push(...published.ids);
  }
  to = Date.now() + 1000;
  const first = startWorker();
  await waitFor(readable(async () => (await stores.pgCount(run)) >= 500), 60_000, 'the first worker to write some batches', 20);
  first.kill('SIGKILL');
  await first.exited;
  const second = startWorker();
  try {
    await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 3)) === 0), 90_000, 'the restarted worker to commit everything', 250);
    await waitFor(readable(async () => Object.values(await stores.counts(run)).every((n) => n >= TOTAL)), 30_000, 'every store to show every event', 250);
  } finally {
    second.kill('SIGTERM');
    await second.exited;
  }
}, 180_000);

afterAll(async () => {
  await source?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run);
  await stores.close();
});

describe('npm run audit', () => {
  test('after a worker was killed mid-load and restarted, the audit finds nothing missing or duplicated and exits 0', async () => {
    const { code, out } = await audit();
    expect(out).toContain(`OK: ${TOTAL} events received`);
    expect(out).toMatch(new RegExp(`total\\s+${TOTAL}\\s+${TOTAL}\\s+${TOTAL}\\s+${TOTAL}\\s+0\\s+0\\s+0`));
    expect(code).toBe(0);
  }, 120_000);

  test('a dead-lettered event absent from its store is reported as explained, not missing', async () => {
    const id = ids[7]!;
    await stores.sql`delete from ${stores.sql(`${run.pgSchema}.events`)} where event_id = ${id}`;
    // The dead letter the Postgres sink would have written for that event: the original record, located by its headers.
    const reader = createConsumer({ brokers: source.brokers, groupId: uniqueName('audit-find'), topics: [source.topic] });
    let original;
    for (let i = 0; i < 60 && !original; i++) original = (await reader.poll(5000, 1000)).find((m) => m.headers.some(([n, v]) => n === 'id' && v && new TextDecoder().decode(v) === id));
    await reader.close();
    const producer = createProducer({ brokers: source.brokers });
    await producer.produceBatch([deadLetterRecord(run.dlqTopic, { message: original!, stage: 'postgres', reason: 'constraint_violation', attempts: 1, eventId: id })]);
    await producer.close();

    const { code, out } = await audit('--json');
    const report = JSON.parse(out);
    expect(report.totals).toMatchObject({ kafka: TOTAL, deadLettered: 1, missing: 0, duplicated: 0 });
    expect(report.totals.stored.postgres).toBe(TOTAL - 1);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  }, 120_000);

  test('after three documents are deleted from Elasticsearch, the audit names exactly those ids and that store and exits 1', async () => {
    const gone = [ids[100]!, ids[1500]!, ids[2999]!];
    for (const id of gone) {
      const hit = (await stores.es.search({ index: run.esPrefix, query: { ids: { values: [id] } } })).hits.hits[0]!;
      await stores.es.delete({ index: hit._index, id, refresh: true });
    }
    const text = await audit('--ids');
    expect(text.code).toBe(1);
    expect(text.out).toContain('FAILED');
    const listed = text.out.split('\n').filter((l) => /^(elasticsearch|postgres|redis)\s/.test(l));
    expect(listed.sort()).toEqual(gone.map((id) => `elasticsearch  missing     ${id}`).sort());

    const json = await audit('--json');
    const report = JSON.parse(json.out);
    expect(json.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.totals).toMatchObject({ kafka: TOTAL, missing: 3, duplicated: 0, deadLettered: 1 });
    expect(report.totals.stored.elasticsearch).toBe(TOTAL - 3);
    expect(report.findings.map((f: { store: string; id: string; kind: string }) => `${f.store} ${f.kind} ${f.id}`).sort()).toEqual(gone.map((id) => `elasticsearch missing ${id}`).sort());
    expect(report.rows.reduce((n: number, r: { missing: number }) => n + r.missing, 0)).toBe(3);
  }, 120_000);

  test('a bad time or timeout is refused with a code, and --help explains the flags', async () => {
    const bad = Bun.spawnSync([process.execPath, 'workers/audit.ts', '--from', 'yesterday-ish'], { cwd: ROOT });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stderr.toString()).error.code).toBe('invalid_time');
    const help = Bun.spawnSync([process.execPath, 'workers/audit.ts', '--help'], { cwd: ROOT });
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain('--ids');
    expect(help.stdout.toString()).toContain('--timeout');
    const noTime = Bun.spawnSync([process.execPath, 'workers/audit.ts', '--from', '1h', '--timeout', '0'], { cwd: ROOT });
    expect(noTime.exitCode).toBe(2);
    expect(JSON.parse(noTime.stderr.toString()).error.code).toBe('invalid_argument');
  });
});
