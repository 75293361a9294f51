import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../../shared/cli.ts';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { componentOf, numberOf, serviceConfig, stringOf } from '../../infra/service-config.ts';
import { loadBenchConfig, orAuto } from '../config.ts';
import { encodeEvent, stampEvent, uuidv7 } from '../../shared/contracts/index.ts';
import { createAdmin } from '../../shared/kafka/index.ts';
import { verifyCounts, topicDelta, type CountInput } from '../report/counts.ts';
import { bearer, benchKeys } from '../lib/keys.ts';
import { sampleRss } from '../lib/proc.ts';
import { ensurePeer, PEER_DIR } from '../lib/peer.ts';
import { ensureJvmPeer, startJvmPeer } from '../lib/jvm-peer.ts';
import { producerPerformance } from '../lib/producer-perf.ts';
import { ensureTool, freePort, waitFor } from '../lib/run.ts';
import { wrk, type WrkResult } from '../lib/wrk.ts';
import type { ClientRun } from './client.ts';
import { benchEvent } from './events.ts';
import { SEGMENT_BATCH_PATH, segmentBatchBody } from './segment.ts';
import { printEdgeResult, type EdgeResult } from './print.ts';
import { meanRefusal, measureRefusal, type RefusalRun } from './refusals.ts';

/**
 * bench:edge — the edge (acks=all) beside its peers, same run, same wrk load (threads, connections, duration) and
 * the same payloads:
 *   1. single events: edge vs the Node.js peer (bench/peers/node-kafka: Fastify + @confluentinc/kafka-javascript,
 *      cluster) vs a raw Bun.serve answering "ok";
 *   2. batches of 100: edge vs the Node peer vs Kafka's ProducerPerformance sending the edge's own stamped records
 *      (same broker, record bytes, acks=all, idempotence, linger, compression);
 *   3. Segment's `/v1/batch`: 100 track messages per request as analytics-node sends them (bench/edge/segment.ts)
 *      against the edge's own 100-event batches, on the same edge, in the same rounds;
 *   4. what keys cost: the edge as deployed (keys on, an ingest key without a rate limit, from a key store of this
 *      run's own) beside a second edge with AUTH=off, for single events and batches, and the edge's CPU per request
 *      refused 429 rate_limited (a key held at its limit) against 400 malformed_json.
 *   5. the JVM peer (bench/peers/jvm-bridge: Vert.x + Apache Kafka's Java producer, Strimzi Kafka Bridge's shape)
 *      beside the edge for single events and batches of 100, its peak RSS beside the edge's (whole process trees).
 * Every client sends the same Authorization header to every system, so the bytes on the wire are the same.
 * Single events and batches run in BENCH_EDGE_ROUNDS rounds (2 by default, 1 with --quick), the order reversed each
 * round, and the figures are the means: one pair of runs of the same code swung by ±0.05 in the ratio on this
 * shared host.
 * Every system produces to its own topic; after each run the topic is counted, and every event a system answered
 * 202 for must be in it. Peak RSS per process of the edge and of the peer is sampled during their runs.
 *
 *   bun bench/edge/run.ts [--quick] [--json] [--no-peer] [--no-jvm]
 */
const USAGE = `usage: bun bench/edge/run.ts [--quick] [--json] [--no-peer] [--no-jvm]
  --quick     5 s runs instead of 15 s, one round
  --json      print the result as one JSON line (progress goes to stderr)
  --no-peer   leave out the Node.js peer
  --no-jvm    leave out the JVM peer (Vert.x + Kafka's Java producer)
settings: BENCH_CONNECTIONS, BENCH_BATCH_CONNECTIONS, BENCH_EDGE_ROUNDS, the edge's EDGE_* (docs/configuration.md)`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, 'no-peer': { type: 'boolean' }, 'no-jvm': { type: 'boolean' } } });
const quick = values.quick === true;
const json = values.json === true;
const withPeer = values['no-peer'] !== true;
const withJvm = values['no-jvm'] !== true;
const benchSettings = loadBenchConfig();
const edgeSettings = componentOf(serviceConfig('edge'), 'edge');
const seconds = quick ? 5 : 15;
const warmup = quick ? 1 : 3;
// Single events on 512 connections. Every request waits for Kafka's acknowledgement (linger 2 ms plus the broker's
// round trip), so a closed-loop client tops out at connections / latency (Little's law), whatever the server could
// do: 64 connections left a third of the CPU idle; 256 held the edge at ~4.3 ms x 59,000 req/s with 10-15% of the
// CPU idle on a host where the raw server does 120,000+. On 512 the edge is CPU-bound (idle under 1%) and the raw
// server's rate is the same as on 256 (121,800 against 122,900 req/s), so the ratio compares capacity with capacity.
// Batches keep 64: 100 events per request already fill the pipe, and more only holds more memory in flight.
const connections = { single: benchSettings.connections, batch: benchSettings.batchConnections };
const threads = 2;
const rounds = orAuto(benchSettings.edgeRounds, quick, 2, 1);
const processes = numberOf(edgeSettings, 'processes') || availableParallelism();
const lingerMs = String(numberOf(edgeSettings, 'lingerMs'));
const compression = stringOf(edgeSettings, 'compression');
const brokers = loadConfig(connectionsConfig).kafkaBrokers;
const PARTITIONS = 6;
const root = join(import.meta.dir, '..', '..');
// Progress goes to stderr, so --json keeps stdout to the one result line.
const log = (s: string) => process.stderr.write(`${s}\n`);

await ensureTool('wrk', 'wrk');
if (withPeer) await ensurePeer(log);
if (withJvm) await ensureJvmPeer({ log });
const id = Date.now().toString(36);
const topics = { edge: `bench-edge-${id}`, edgeOff: `bench-edge-off-${id}`, edgeTraced: `bench-edge-traced-${id}`, peer: `bench-peer-${id}`, java: `bench-java-${id}`, jvm: `bench-jvm-${id}`, client: `bench-client-${id}` };
const admin = createAdmin({ brokers });
await admin.createTopics(Object.values(topics).map((name) => ({ name, partitions: PARTITIONS })));

const single = JSON.stringify(benchEvent(1));
const batch = JSON.stringify({ events: Array.from({ length: 100 }, (_, i) => benchEvent(i)) });
const segment = segmentBatchBody();
// ProducerPerformance sends the records the edge would write: the same events, stamped.
const payloadDir = mkdtempSync(join(tmpdir(), 'event-lens-edge-'));
const payloadFile = join(payloadDir, 'records.txt');
const stamped = Array.from({ length: 1000 }, (_, i) => new TextDecoder().decode(encodeEvent(stampEvent(benchEvent(i), { now: Date.now(), newId: uuidv7 }))));
writeFileSync(payloadFile, stamped.join('\n'));
const recordBytes = Math.round(stamped.reduce((n, s) => n + s.length, 0) / stamped.length);
log(`bench:edge — ${processes} processes per system, wrk -t${threads} -c${connections.single} (batches -c${connections.batch}) -d${seconds}s, event ${single.length} B (record ${recordBytes} B), linger ${lingerMs} ms, ${compression}, ${rounds} round${rounds > 1 ? 's' : ''}, API keys on`);

// Keys of this run only: an ingest key without a rate limit for every load, and one held at 1 event/s for the
// 429 measurement.
const keys = await benchKeys('bench_edge');
const ingestKey = await keys.create({ name: 'bench-edge', scopes: 'ingest' });
const limitedKey = await keys.create({ name: 'bench-edge-limited', scopes: 'ingest', rate: 1, burst: 1 });
const auth = bearer(ingestKey);

const ports = { raw: freePort(), edge: freePort(), edgeOff: freePort(), edgeTraced: freePort(), peer: freePort(), jvm: freePort() };
const spawned: Array<ReturnType<typeof Bun.spawn>> = [];
const raw = Bun.spawn([process.execPath, join(import.meta.dir, 'raw-server.ts'), '--port', String(ports.raw), '--processes', String(processes)], { stdout: 'ignore', stderr: 'inherit' });
spawned.push(raw);
// Both edges listen on loopback with admin ports the OS picks, so a running `npm start` edge (9480+) is no obstacle.
const spawnEdge = (port: number, topic: string, env: Record<string, string>) =>
  Bun.spawn([process.execPath, join(root, 'edge/server.ts')], {
    env: { ...process.env, ...keys.env, EDGE_PORT: String(port), EDGE_HOSTNAME: '127.0.0.1', EDGE_ADMIN_PORT: '0', EDGE_TOPIC: topic, EDGE_PROCESSES: String(processes), EDGE_LINGER_MS: lingerMs, EDGE_COMPRESSION: compression, KAFKA_BROKERS: brokers, ...env },
    stdout: 'ignore',
    stderr: 'inherit',
  });
const edge = spawnEdge(ports.edge, topics.edge, {});
const edgeOff = spawnEdge(ports.edgeOff, topics.edgeOff, { AUTH: 'off' });
// The same edge tracing 1% of requests to an OTLP/HTTP receiver that takes and discards the spans.
const otlpSink = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: async (req) => (await req.arrayBuffer(), Response.json({})) });
const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpSink.port}`, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' };
const edgeTraced = spawnEdge(ports.edgeTraced, topics.edgeTraced, traced);
spawned.push(edge, edgeOff, edgeTraced);
const peer = withPeer
  ? Bun.spawn(['node', join(PEER_DIR, 'server.mjs')], {
      cwd: PEER_DIR,
      env: { ...process.env, PEER_PORT: String(ports.peer), PEER_TOPIC: topics.peer, PEER_PROCESSES: String(processes), PEER_LINGER_MS: lingerMs, PEER_COMPRESSION: compression, KAFKA_BROKERS: brokers },
      stdout: 'ignore',
      stderr: 'inherit',
    })
  : undefined;
if (peer) spawned.push(peer);
const jvm = withJvm ? startJvmPeer({ port: ports.jvm, topic: topics.jvm, brokers, loops: processes, lingerMs: Number(lingerMs), compression }) : undefined;
if (jvm) spawned.push(jvm);

const highs = async (topic: string) => {
  const out: bigint[] = [];
  for (let p = 0; p < PARTITIONS; p++) out.push((await admin.watermarks(topic, p)).high);
  return out;
};
/** Waits until deliveries still in flight when wrk stopped have landed: two equal readings 300 ms apart. */
const settled = async (topic: string) => {
  let last = await highs(topic);
  for (let i = 0; i < 20; i++) {
    await Bun.sleep(300);
    const now = await highs(topic);
    if (now.every((h, j) => h === last[j])) return now;
    last = now;
  }
  return last;
};

type System = 'edge' | 'edgeOff' | 'edgeTraced' | 'peer' | 'jvm' | 'raw';
type Mode = 'single' | 'batch' | 'segment';
interface Run {
  system: System;
  name: string;
  mode: Mode;
  eventsPerRequest: number;
  r: WrkResult;
}
try {
  await waitFor('raw Bun.serve', `http://127.0.0.1:${ports.raw}/`, 'POST');
  await waitFor('edge', `http://127.0.0.1:${ports.edge}/readyz`);
  await waitFor('edge, AUTH=off', `http://127.0.0.1:${ports.edgeOff}/readyz`);
  await waitFor('edge, tracing 1%', `http://127.0.0.1:${ports.edgeTraced}/readyz`);
  if (peer) await waitFor('Node peer', `http://127.0.0.1:${ports.peer}/readyz`, 'GET', 60_000);
  if (jvm) await waitFor('JVM peer', `http://127.0.0.1:${ports.jvm}/readyz`, 'GET', 60_000);
  const urls = Object.fromEntries((['raw', 'edge', 'edgeOff', 'edgeTraced', 'peer', 'jvm'] as const).map((s) => [s, `http://127.0.0.1:${ports[s]}/v1/events`])) as Record<System, string>;
  const names: Record<System, string> = { raw: 'raw Bun.serve', edge: 'edge', edgeOff: 'edge, AUTH=off', edgeTraced: 'edge, tracing 1%', peer: 'Node peer (Fastify + kafka-javascript)', jvm: 'JVM peer (Vert.x + Kafka Java client)' };
  const runs: Run[] = [];
  const counts: CountInput[] = [];
  const rss: Record<'edge' | 'peer' | 'jvm', { peakProcessBytes: number; peakTotalBytes: number }> = { edge: { peakProcessBytes: 0, peakTotalBytes: 0 }, peer: { peakProcessBytes: 0, peakTotalBytes: 0 }, jvm: { peakProcessBytes: 0, peakTotalBytes: 0 } };
  const go = async (system: System, mode: Mode, round = 0) => {
    const body = mode === 'single' ? single : mode === 'batch' ? batch : segment;
    const eventsPerRequest = mode === 'single' ? 1 : 100;
    const what = mode === 'single' ? 'single event' : mode === 'batch' ? '100-event batch' : `Segment ${SEGMENT_BATCH_PATH}, 100 events`;
    const name = `${names[system]}, ${what}${rounds > 1 && (mode !== 'batch' || system !== 'peer') ? ` (round ${round + 1})` : ''}`;
    log(`  ${name}: warm-up ${warmup} s, then ${seconds} s ...`);
    const url = mode === 'segment' ? `http://127.0.0.1:${ports[system]}${SEGMENT_BATCH_PATH}` : urls[system];
    const load = { url, body, headers: auth, connections: connections[mode === 'single' ? 'single' : 'batch'], threads };
    await wrk({ ...load, seconds: warmup });
    const topic = system === 'raw' ? undefined : topics[system];
    const before = topic ? await settled(topic) : undefined;
    // Peak RSS is the deployed edge's (keys on) and the peers'.
    const server = system === 'edge' ? edge : system === 'peer' ? peer : system === 'jvm' ? jvm : undefined;
    const stopRss = server ? sampleRss(server.pid) : undefined;
    const r = await wrk({ ...load, seconds });
    if (stopRss && (system === 'edge' || system === 'peer' || system === 'jvm')) {
      const s = stopRss();
      rss[system].peakProcessBytes = Math.max(rss[system].peakProcessBytes, s.peakProcessBytes);
      rss[system].peakTotalBytes = Math.max(rss[system].peakTotalBytes, s.peakTotalBytes);
    }
    runs.push({ system, name, mode, eventsPerRequest, r });
    log(`    ${((r.ok * eventsPerRequest) / r.seconds).toFixed(0)} events/s, p99 ${r.p99Ms.toFixed(1)} ms, ${r.non2xx + r.socketErrors} errors`);
    if (topic && before) counts.push({ name, acked: r.ok * eventsPerRequest, inTopic: topicDelta(before, await settled(topic)) });
  };
  const singles: System[] = ['raw', 'edge', 'edgeOff', 'edgeTraced', ...(peer ? (['peer'] as const) : []), ...(jvm ? (['jvm'] as const) : [])];
  const batches: Array<[System, Mode]> = [['edge', 'batch'], ['edgeOff', 'batch'], ['edgeTraced', 'batch'], ['edge', 'segment'], ...(jvm ? [['jvm', 'batch'] as [System, Mode]] : [])];
  for (let round = 0; round < rounds; round++) {
    for (const system of round % 2 === 0 ? singles : [...singles].reverse()) await go(system, 'single', round);
  }
  await expectSegmentTaken(`http://127.0.0.1:${ports.edge}${SEGMENT_BATCH_PATH}`);
  for (let round = 0; round < rounds; round++) {
    for (const [system, mode] of round % 2 === 0 ? batches : [...batches].reverse()) await go(system, mode, round);
  }
  if (peer) await go('peer', 'batch');

  // Refused requests on the edge with keys on, the two cases in alternating rounds. The malformed body is the single
  // event cut short by one byte, so both requests carry the same bytes but for one.
  const refusal = { url: urls.edge, pid: edge.pid, connections: connections.single, threads, seconds, warmup, log };
  const cases = [
    { name: 'edge, 429 rate_limited (key at its limit)', status: 429, code: 'rate_limited', body: single, headers: bearer(limitedKey) },
    { name: 'edge, 400 malformed_json', status: 400, code: 'malformed_json', body: single.slice(0, -1), headers: auth },
  ];
  const refused: Record<string, RefusalRun[]> = { rate_limited: [], malformed_json: [] };
  let refusalError: string | undefined;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const c of round % 2 === 0 ? cases : [...cases].reverse()) refused[c.code]!.push(await measureRefusal(c, refusal));
    }
  } catch (e) {
    refusalError = e instanceof Error ? e.message : String(e);
    log(`    refusal runs failed: ${refusalError}`);
  }

  // The bare Kafka client producing the edge's own records with the edge's settings, one producer per process as the
  // edge has: what the edge's batches would reach if HTTP, parsing, validation, stamping and receipts were free.
  log(`  Kafka client alone (shared/kafka), the edge's records in groups of 100, ${processes} processes: warm-up ${warmup} s, then ${seconds} s ...`);
  let client: ClientRun | undefined;
  let clientError: string | undefined;
  try {
    await bareClient(topics.client, warmup);
    const before = await settled(topics.client);
    client = await bareClient(topics.client, seconds);
    log(`    ${client.eventsPerSecond.toFixed(0)} events/s, ${client.failed} failed`);
    counts.push({ name: 'Kafka client alone, edge records', acked: client.acked, inTopic: topicDelta(before, await settled(topics.client)) });
  } catch (e) {
    clientError = e instanceof Error ? e.message : String(e);
    log(`    the bare client run failed: ${clientError}`);
  }

  const edgeBatch = runs.find((x) => x.system === 'edge' && x.mode === 'batch')!;
  // As many records as the edge acknowledged in its batch run, so both move a comparable amount of data.
  const records = Math.max(100_000, Math.round(edgeBatch.r.ok * 100));
  log(`  Kafka ProducerPerformance: ${records.toLocaleString()} of the edge's records, acks=all, idempotent, linger ${lingerMs} ms, ${compression} ...`);
  let producerPerf: Awaited<ReturnType<typeof producerPerformance>> | undefined;
  let producerPerfError: string | undefined;
  try {
    producerPerf = await producerPerformance({
      topic: topics.java,
      records,
      brokers,
      payloadFile,
      props: { acks: 'all', 'enable.idempotence': true, 'linger.ms': lingerMs, 'compression.type': compression },
    });
    log(`    ${producerPerf.recordsPerSec.toFixed(0)} records/s`);
  } catch (e) {
    producerPerfError = e instanceof Error ? e.message : String(e);
    log(`    ProducerPerformance failed: ${producerPerfError}`);
  }

  const verified = verifyCounts(counts);
  /** Mean events/s over the rounds of one system and mode. */
  const eps = (system: System, mode: Mode) => {
    const xs = runs.filter((r) => r.system === system && r.mode === mode);
    return xs.length ? xs.reduce((sum, x) => sum + (x.r.ok * x.eventsPerRequest) / x.r.seconds, 0) / xs.length : undefined;
  };
  const result: EdgeResult & Record<string, unknown> = {
    bench: 'edge',
    processes,
    rounds,
    seconds,
    connections,
    threads,
    lingerMs: Number(lingerMs),
    compression,
    eventBytes: single.length,
    segmentEventBytes: Math.round(segment.length / 100),
    recordBytes,
    runs: runs.map(({ system, name, mode, eventsPerRequest, r }) => ({ system, name, mode, ...r, eventsPerSecond: (r.ok * eventsPerRequest) / r.seconds })),
    single: { edge: eps('edge', 'single'), peer: eps('peer', 'single'), raw: eps('raw', 'single'), jvm: eps('jvm', 'single') },
    batch: { edge: eps('edge', 'batch'), peer: eps('peer', 'batch'), jvm: eps('jvm', 'batch'), producerPerf: producerPerf?.recordsPerSec, client: client?.eventsPerSecond, segment: eps('edge', 'segment') },
    auth: {
      single: { on: eps('edge', 'single'), off: eps('edgeOff', 'single') },
      batch: { on: eps('edge', 'batch'), off: eps('edgeOff', 'batch') },
      rateLimited: meanRefusal(refused.rate_limited!),
      malformed: meanRefusal(refused.malformed_json!),
      ...(refusalError !== undefined && { refusalError }),
    },
    tracing: {
      single: { on: eps('edgeTraced', 'single'), off: eps('edge', 'single') },
      batch: { on: eps('edgeTraced', 'batch'), off: eps('edge', 'batch') },
    },
    client: client ?? { error: clientError },
    producerPerf: producerPerf ?? { error: producerPerfError },
    rss: { edge: rss.edge, peer: withPeer ? rss.peer : undefined, jvm: withJvm ? rss.jvm : undefined },
    counts: verified.checks,
    noLoss: verified.ok,
  };
  if (json) console.log(JSON.stringify(result));
  else printEdgeResult(result);
  process.exitCode = verified.ok ? 0 : 1;
} finally {
  for (const p of spawned) p.kill('SIGTERM');
  void otlpSink.stop(true);
  await Promise.all(spawned.map((p) => Promise.race([p.exited, Bun.sleep(25_000)])));
  await admin.deleteTopics(Object.values(topics)).catch(() => {});
  await admin.close();
  await keys.close().catch((e: unknown) => log(`  key store cleanup: ${String(e)}`));
}

/** Runs bench/edge/client.ts for `secs` seconds on `topic`, one producer per edge process. */
async function bareClient(topic: string, secs: number): Promise<ClientRun> {
  const args = ['--brokers', brokers, '--topic', topic, '--seconds', String(secs), '--processes', String(processes), '--window', String(connections.batch), '--linger-ms', lingerMs, '--compression', compression];
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'client.ts'), ...args], { stdout: 'pipe', stderr: 'inherit' });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`bench/edge/client.ts exited with ${proc.exitCode}`);
  const run = JSON.parse(out.trim().split('\n').at(-1)!) as ClientRun;
  if (run.failed > 0) throw new Error(`${run.failed} deliveries failed: ${run.firstError}`);
  return run;
}

/** One Segment batch must be taken whole (200, success) before wrk counts 2xx answers as 100 events each. */
async function expectSegmentTaken(url: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: segment });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"success":true')) throw new Error(`${SEGMENT_BATCH_PATH} answered ${res.status} ${text.slice(0, 300)}`);
}
