import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../../shared/cli.ts';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { componentOf, numberOf, serviceConfig, stringOf } from '../../infra/service-config.ts';
import { loadBenchConfig, orAuto } from '../config.ts';
import { eventText, stampEvent, uuidv7 } from '../../shared/contracts/index.ts';
import { createAdmin } from '../../shared/kafka/index.ts';
import { bearer, benchKeys } from '../lib/keys.ts';
import { ensurePeer } from '../lib/peer.ts';
import { ensureJvmPeer } from '../lib/jvm-peer.ts';
import { ensureTool } from '../lib/run.ts';
import { wrk } from '../lib/wrk.ts';
import { benchEvent } from './events.ts';
import { createLegRunner, type Mode } from './legs.ts';
import { topicWatch } from './topics.ts';
import { SEGMENT_BATCH_PATH, segmentBatchBody, segmentEventsBody } from './segment.ts';
import { printEdgeResult } from './print.ts';
import { measureRefusal, type RefusalRun } from './refusals.ts';
import { edgeResult } from './result.ts';
import { startSystems, type System, type Systems } from './systems.ts';
import { runYardsticks } from './yardsticks.ts';

/**
 * bench:edge — the edge (acks=all) beside its peers, same run, same wrk load and payloads: single events and batches
 * of 100 against a raw Bun.serve, the Node peer (Fastify + kafka-javascript), the JVM peer (Vert.x + Kafka's Java
 * producer), the Bun peer (Bun.serve + shared/kafka doing only the JVM peer's work), ProducerPerformance and the bare
 * Kafka client with the edge's own records; then the on/off pairs in ABBA legs (keys, tracing 1%, Segment's
 * /v1/batch against the edge's batches) and the CPU of a refused 429 against a 400.
 * Every system produces to its own topic, and every event it acknowledged must be in it afterwards. What each row
 * means and why it is measured this way: bench/README.md.
 *
 *   bun bench/edge/run.ts [--quick] [--json] [--no-peer] [--no-jvm] [--no-bun-peer]
 */
const USAGE = `usage: bun bench/edge/run.ts [--quick] [--json] [--no-peer] [--no-jvm] [--no-bun-peer]
  --quick        5 s runs instead of 15 s, one round
  --json         print the result as one JSON line (progress goes to stderr)
  --no-peer      leave out the Node.js peer
  --no-jvm       leave out the JVM peer (Vert.x + Kafka's Java producer)
  --no-bun-peer  leave out the Bun peer (Bun.serve + shared/kafka, the JVM peer's work only)
settings: BENCH_CONNECTIONS, BENCH_BATCH_CONNECTIONS, BENCH_EDGE_ROUNDS, the edge's EDGE_* (docs/configuration.md)`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, 'no-peer': { type: 'boolean' }, 'no-jvm': { type: 'boolean' }, 'no-bun-peer': { type: 'boolean' } } });
const quick = values.quick === true;
const json = values.json === true;
const withPeer = values['no-peer'] !== true;
const withJvm = values['no-jvm'] !== true;
const withBunPeer = values['no-bun-peer'] !== true;
const benchSettings = loadBenchConfig();
const edgeSettings = componentOf(serviceConfig('edge'), 'edge');
const seconds = quick ? 5 : 15;
const warmup = quick ? 1 : 3;
const jvmWarmup = quick ? 5 : 30;
// Single events on 512 connections. Every request waits for Kafka's acknowledgement (the linger, 5 ms, plus the
// broker's round trip), so a closed-loop client tops out at connections / latency (Little's law), whatever the server could
// do: 64 connections left a third of the CPU idle; 256 held the edge at ~4.3 ms x 59,000 req/s with 10-15% of the
// CPU idle on a host where the raw server does 120,000+. On 512 the edge is CPU-bound (idle under 1%) and the raw
// server's rate is the same as on 256 (121,800 against 122,900 req/s), so the ratio compares capacity with capacity.
// Batches keep 64: 100 events per request already fill the pipe, and more only holds more memory in flight.
const connections = { single: benchSettings.connections, batch: benchSettings.batchConnections };
const threads = 2;
const rounds = orAuto(benchSettings.edgeRounds, quick, 2, 1);
// On/off pairs: 2 × pairBlocks legs in ABBA order (pairs.ts), each a 1 s warm-up and pairSeconds measured.
const pairBlocks = quick ? 2 : 4;
const pairSeconds = quick ? 3 : 6;
const processes = numberOf(edgeSettings, 'processes') || availableParallelism();
const lingerMs = String(numberOf(edgeSettings, 'lingerMs'));
const compression = stringOf(edgeSettings, 'compression');
const brokers = loadConfig(connectionsConfig).kafkaBrokers;
const PARTITIONS = 6;
// Progress goes to stderr, so --json keeps stdout to the one result line.
const log = (s: string) => process.stderr.write(`${s}\n`);

await ensureTool('wrk', 'wrk');
if (withPeer) await ensurePeer(log);
if (withJvm) await ensureJvmPeer({ log });
const id = Date.now().toString(36);
const topics = { edge: `bench-edge-${id}`, edgeOff: `bench-edge-off-${id}`, edgeTraced: `bench-edge-traced-${id}`, peer: `bench-peer-${id}`, java: `bench-java-${id}`, jvm: `bench-jvm-${id}`, bunPeer: `bench-bun-peer-${id}`, client: `bench-client-${id}` };
const admin = createAdmin({ brokers });
await admin.createTopics(Object.values(topics).map((name) => ({ name, partitions: PARTITIONS })));

const single = JSON.stringify(benchEvent(1));
const batch = JSON.stringify({ events: Array.from({ length: 100 }, (_, i) => benchEvent(i)) });
const segment = segmentBatchBody();
const segmentEvents = segmentEventsBody();
// ProducerPerformance sends the records the edge would write: the same events, stamped.
const payloadDir = mkdtempSync(join(tmpdir(), 'event-lens-edge-'));
const payloadFile = join(payloadDir, 'records.txt');
const recordOf = (event: ReturnType<typeof benchEvent>) => eventText(stampEvent(event, { now: Date.now(), newId: uuidv7 }));
const meanLength = (texts: string[]) => Math.round(texts.reduce((n, s) => n + s.length, 0) / texts.length);
const stamped = Array.from({ length: 1000 }, (_, i) => recordOf(benchEvent(i)));
writeFileSync(payloadFile, stamped.join('\n'));
const recordBytes = meanLength(stamped);
const segmentRecordBytes = meanLength((JSON.parse(segmentEvents) as { events: ReturnType<typeof benchEvent>[] }).events.map(recordOf));
log(`bench:edge — ${processes} processes per system, wrk -t${threads} -c${connections.single} (batches -c${connections.batch}) -d${seconds}s, event ${single.length} B (record ${recordBytes} B, Segment's ${segmentRecordBytes} B), linger ${lingerMs} ms, ${compression}, ${rounds} round${rounds > 1 ? 's' : ''}, API keys on`);

// Keys of this run only: an ingest key without a rate limit for every load, and one held at 1 event/s for the
// 429 measurement.
const keys = await benchKeys('bench_edge');
const ingestKey = await keys.create({ name: 'bench-edge', scopes: 'ingest' });
const limitedKey = await keys.create({ name: 'bench-edge-limited', scopes: 'ingest', rate: 1, burst: 1 });
const auth = bearer(ingestKey);

let systems: Systems | undefined;
try {
  systems = await startSystems({ processes, lingerMs, compression, brokers, keysEnv: keys.env, topics, withPeer, withJvm, withBunPeer });
  const { ports, pids } = systems;
  const { settled } = topicWatch({ admin, partitions: PARTITIONS });
  const legs = createLegRunner({
    ports, pids, topics, settled, bodies: { single, batch, segment, segmentEvents }, headers: auth, connections, threads, seconds, warmup, rounds, pairBlocks, pairSeconds, id, log,
  });
  const { go, pair, runs, counts } = legs;
  const singles: System[] = ['raw', 'edge', ...(['peer', 'jvm', 'bunPeer'] as const).filter((s) => pids[s])];
  const batches: Array<[System, Mode]> = (['edge', 'jvm', 'bunPeer'] as const).filter((s) => pids[s]).map((s) => [s, 'batch']);
  // The JVM peer's JIT keeps improving for minutes under load (CPU per single event fell from ~108 to ~32 µs over six
  // alternating rounds): a deployed bridge runs warm, so it gets a long unmeasured load of each kind first.
  if (pids.jvm) {
    for (const mode of ['single', 'batch'] as const) {
      log(`  JVM peer, ${mode === 'single' ? 'single events' : '100-event batches'}: JIT warm-up ${jvmWarmup} s ...`);
      await wrk({ ...legs.loadOf('jvm', mode), seconds: jvmWarmup });
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const system of round % 2 === 0 ? singles : [...singles].reverse()) await go(system, 'single', { round });
  }
  for (let round = 0; round < rounds; round++) {
    for (const [system, mode] of round % 2 === 0 ? batches : [...batches].reverse()) await go(system, mode, { round });
  }
  if (pids.peer) await go('peer', 'batch');

  await expectTaken(`http://127.0.0.1:${ports.edge}${SEGMENT_BATCH_PATH}`, segment, (status, text) => status === 200 && text.includes('"success":true'));
  await expectTaken(`http://127.0.0.1:${ports.edge}/v1/events`, segmentEvents, (status) => status === 202);
  const pairs = {
    authSingle: await pair('auth on/off, single', ['edge', 'single'], ['edgeOff', 'single']),
    authBatch: await pair('auth on/off, batch', ['edge', 'batch'], ['edgeOff', 'batch']),
    tracingSingle: await pair('tracing 1%/off, single', ['edgeTraced', 'single'], ['edge', 'single']),
    tracingBatch: await pair('tracing 1%/off, batch', ['edgeTraced', 'batch'], ['edge', 'batch']),
    segment: await pair('Segment/edge batch', ['edge', 'segment'], ['edge', 'batch']),
    segmentEvents: await pair("Segment's events/edge batch", ['edge', 'segmentEvents'], ['edge', 'batch']),
    bunPeerSegmentEvents: pids.bunPeer ? await pair("Bun peer: Segment's events/batch", ['bunPeer', 'segmentEvents'], ['bunPeer', 'batch']) : undefined,
    // The edge against the Bun peer in adjacent legs as well as in the main rounds: two rounds minutes apart read
    // edge / Bun peer batches at 0.71-0.91x across reports, more than the edge's extra work per event measured alone.
    bunPeerSingle: pids.bunPeer ? await pair('edge/Bun peer, single', ['edge', 'single'], ['bunPeer', 'single']) : undefined,
    bunPeerBatch: pids.bunPeer ? await pair('edge/Bun peer, batch', ['edge', 'batch'], ['bunPeer', 'batch']) : undefined,
  };

  // Refused requests on the edge with keys on, the two cases in alternating rounds. The malformed body is the single
  // event cut short by one byte, so both requests carry the same bytes but for one.
  const refusal = { url: legs.loadOf('edge', 'single').url, pid: pids.edge!, connections: connections.single, threads, seconds, warmup, log };
  const cases = [
    { name: 'edge, 429 rate_limited (key at its limit)', status: 429, code: 'rate_limited', body: single, headers: bearer(limitedKey) },
    { name: 'edge, 400 malformed_json', status: 400, code: 'malformed_json', body: single.slice(0, -1), headers: auth },
  ];
  const refused: Record<'rate_limited' | 'malformed_json', RefusalRun[]> = { rate_limited: [], malformed_json: [] };
  let refusalError: string | undefined;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const c of round % 2 === 0 ? cases : [...cases].reverse()) refused[c.code as keyof typeof refused].push(await measureRefusal(c, refusal));
    }
  } catch (e) {
    refusalError = e instanceof Error ? e.message : String(e);
    log(`    refusal runs failed: ${refusalError}`);
  }

  const edgeBatch = runs.find((x) => x.system === 'edge' && x.mode === 'batch')!;
  const yardsticks = await runYardsticks({
    brokers, topics, processes, window: connections.batch, lingerMs, compression, seconds, warmup, payloadFile, settled, log,
    // As many records as the edge acknowledged in its batch run, so both move a comparable amount of data.
    records: Math.max(100_000, Math.round(edgeBatch.r.ok * 100)),
  });
  if (yardsticks.count) counts.push(yardsticks.count);

  const result = edgeResult({
    settings: { processes, rounds, seconds, connections, threads, lingerMs: Number(lingerMs), compression, eventBytes: single.length, segmentEventBytes: Math.round(segment.length / 100), recordBytes, segmentRecordBytes, pairLegs: { blocks: pairBlocks, seconds: pairSeconds } },
    runs, pairs, refused, refusalError, ...yardsticks, rss: legs.rss, withPeer, withJvm, withBunPeer, counts,
  });
  if (json) console.log(JSON.stringify(result));
  else printEdgeResult(result);
  process.exitCode = result.noLoss ? 0 : 1;
} finally {
  await systems?.stop();
  await admin.deleteTopics(Object.values(topics)).catch(() => {});
  await admin.close();
  await keys.close().catch((e: unknown) => log(`  key store cleanup: ${String(e)}`));
}

/** One body must be taken whole (every event) before wrk counts 2xx answers as 100 events each. */
async function expectTaken(url: string, body: string, whole: (status: number, text: string) => boolean): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
  const text = await res.text();
  if (!whole(res.status, text)) throw new Error(`${new URL(url).pathname} answered ${res.status} ${text.slice(0, 300)}`);
}
