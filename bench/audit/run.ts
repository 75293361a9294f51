import { join } from 'node:path';
import { parseCli } from '../../shared/cli.ts';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { stampEvent, uuidv7, type StampedEvent } from '../../shared/contracts/index.ts';
import { eventMessage } from '../../shared/contracts/record.ts';
import { createConsumer, createProducer } from '../../shared/kafka/index.ts';
import { createIsolatedTopics, isolatedStoresEnv, isolation, isolationId, removeIsolated } from '../../shared/testing/isolation.ts';
import { mean, printTable } from '../lib/run.ts';

/**
 * bench:audit — how fast `npm run audit` checks a range against the stores, beside a plain read of the same records
 * with shared/kafka, in alternating rounds. N events go to a fresh topic (the edge's records: stampEvent +
 * record.ts) and into isolated stores through the workers' own sinks (`bun workers/seed.ts`); then each round times a
 * consumer reading the N records and `bun workers/audit.ts --from .. --to .. --json` over the same range, as a
 * process with the run's settings. Target: the audit at least half the plain read's rate.
 */
const USAGE = `usage: bun bench/audit/run.ts [--quick] [--json]
  --quick   20,000 events instead of 200,000, two rounds instead of three
  --json    print the result as one JSON line (progress goes to stderr)`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const quick = values.quick === true;
const json = values.json === true;
const N = quick ? 20_000 : 200_000;
const ROUNDS = quick ? 2 : 3;
const ROOT = join(import.meta.dir, '..', '..');
const conn = loadConfig(connectionsConfig);
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));
const id = isolationId('bench-audit');
const { topic } = isolation(id);
const env = { ...process.env, ...isolatedStoresEnv(id), SINK_PG_PARTITIONS_AHEAD: '1' };

function makeEvents(n: number, at: number): StampedEvent[] {
  return Array.from({ length: n }, (_, i) =>
    stampEvent({ type: ['page.view', 'order.created', 'signup'][i % 3]!, source: `bench-${i % 4}`, key: `user-${i % 5000}`, data: { page: '/pricing', amount: i % 997 } }, { now: at, newId: uuidv7 }),
  );
}

/** The events as the edge would write them, in batches; returns the receive-time range they span. */
async function produce(events: readonly StampedEvent[]): Promise<void> {
  const producer = createProducer({ brokers: conn.kafkaBrokers });
  try {
    for (let i = 0; i < events.length; i += 10_000) {
      const results = await producer.produceBatch(events.slice(i, i + 10_000).map((e) => eventMessage(topic, e)));
      const failed = results.filter((r) => r instanceof Error).length;
      if (failed) throw new Error(`${failed} events not produced`);
    }
  } finally {
    await producer.close();
  }
}

/** Stores the events through the workers' sinks: one `bun workers/seed.ts`, NDJSON streamed to its stdin. */
async function seed(events: readonly StampedEvent[]): Promise<void> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'workers/seed.ts')], { cwd: ROOT, env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  for (let i = 0; i < events.length; i += 5_000) {
    proc.stdin.write(events.slice(i, i + 5_000).map((e) => `${JSON.stringify(e)}\n`).join(''));
    await proc.stdin.flush();
  }
  await proc.stdin.end();
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`workers/seed.ts exited with ${code}: ${out}${err}`);
}

/** A plain read of the topic from the beginning with a throwaway group until n records arrived; events/s. */
async function consumeRate(n: number): Promise<number> {
  const consumer = createConsumer({ brokers: conn.kafkaBrokers, groupId: `${id}-read-${crypto.randomUUID().slice(0, 8)}`, topics: [topic], config: { 'auto.offset.reset': 'earliest' } });
  consumer.on('error', () => {});
  try {
    const started = performance.now();
    let seen = 0;
    const deadline = Date.now() + 300_000;
    while (seen < n) {
      if (Date.now() > deadline) throw new Error(`the plain read got ${seen} of ${n} records in 300 s`);
      seen += (await consumer.poll(5_000, 500)).length;
    }
    return n / ((performance.now() - started) / 1000);
  } finally {
    await consumer.close();
  }
}

/** `bun workers/audit.ts --json` over the range as a process; events/s from its wall time, checked to cover n events. */
async function auditRate(from: number, to: number, n: number): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, join(ROOT, 'workers/audit.ts'), '--from', String(from), '--to', String(to), '--json'], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`workers/audit.ts exited with ${code}: ${out.slice(0, 500)}${err.slice(0, 500)}`);
  const report = JSON.parse(out) as { totals?: { kafka?: number } };
  const received = report.totals?.kafka;
  if (received !== n) throw new Error(`the audit saw ${received} events, expected ${n}`);
  return n / seconds;
}

let result: { events: number; rounds: number; consumeEventsPerSec: number; auditEventsPerSec: number; ratio: number } | undefined;
try {
  await createIsolatedTopics(id, 3);
  const at = Date.now();
  const events = makeEvents(N, at);
  log(`bench:audit — ${N.toLocaleString()} events, ${ROUNDS} rounds, topic ${topic}`);
  await produce(events);
  log('  seeding the stores through the workers\' sinks (bun workers/seed.ts) ...');
  await seed(events);
  // Everything was received at `at`: a range of a second either side covers it.
  const from = at - 1000;
  const to = at + 1000;
  const consumed: number[] = [];
  const audited: number[] = [];
  // Alternating (A B A B): this machine's speed drifts within a minute; each side's rate is the mean of its rounds.
  for (let round = 1; round <= ROUNDS; round++) {
    consumed.push(await consumeRate(N));
    audited.push(await auditRate(from, to, N));
    log(`  round ${round}/${ROUNDS}: plain read ${consumed.at(-1)!.toFixed(0)} events/s, audit ${audited.at(-1)!.toFixed(0)} events/s`);
  }
  const consumeEventsPerSec = mean(consumed);
  const auditEventsPerSec = mean(audited);
  result = { events: N, rounds: ROUNDS, consumeEventsPerSec, auditEventsPerSec, ratio: auditEventsPerSec / consumeEventsPerSec };
} finally {
  await removeIsolated(id);
}

if (!result) throw new Error("no result");
if (json) console.log(JSON.stringify(result));
else {
  printTable(['', 'events/s'], [
    ['plain read (shared/kafka)', result.consumeEventsPerSec.toFixed(0)],
    ['audit (workers/audit.ts, 3 stores)', result.auditEventsPerSec.toFixed(0)],
  ]);
  console.log(`Audit: read rate / consume rate = ${result.ratio.toFixed(2)}x (target >= 0.5x)`);
}
