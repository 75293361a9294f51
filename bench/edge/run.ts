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
import { runBareClient, type ClientRun } from './bare-client.ts';
import { benchEvent } from './events.ts';
import { alternate } from './pairs.ts';
import { topicWatch } from './topics.ts';
import { SEGMENT_BATCH_PATH, segmentBatchBody } from './segment.ts';
import { printEdgeResult, type EdgeResult } from './print.ts';
import { meanRefusal, measureRefusal, type RefusalRun } from './refusals.ts';

/**
 * bench:edge — the edge (acks=all) beside its peers, same run, same wrk load and payloads: single events and batches
 * of 100 against a raw Bun.serve, the Node peer (Fastify + kafka-javascript), the JVM peer (Vert.x + Kafka's Java
 * producer), ProducerPerformance and the bare Kafka client with the edge's own records; then the on/off pairs in ABBA
 * legs (keys, tracing 1%, Segment's /v1/batch against the edge's batches) and the CPU of a refused 429 against a 400.
 * Every system produces to its own topic, and every event it acknowledged must be in it afterwards. What each row
 * means and why it is measured this way: bench/README.md.
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
// On/off pairs: 2 × pairBlocks legs in ABBA order (pairs.ts), each a 1 s warm-up and pairSeconds measured.
const pairBlocks = quick ? 2 : 4;
const pairSeconds = quick ? 3 : 6;
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

const { settled } = topicWatch({ admin, partitions: PARTITIONS });

type System = 'edge' | 'edgeOff' | 'edgeTraced' | 'peer' | 'jvm' | 'raw';
type Mode = 'single' | 'batch' | 'segment';
interface Run {
  system: System;
  name: string;
  mode: Mode;
  /** 'main' for the rounds every system runs; else the on/off pair the leg belongs to (pairs.ts). */
  phase: string;
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
  const loadOf = (system: System, mode: Mode) => {
    const body = mode === 'single' ? single : mode === 'batch' ? batch : segment;
    const url = mode === 'segment' ? `http://127.0.0.1:${ports[system]}${SEGMENT_BATCH_PATH}` : urls[system];
    return { url, body, headers: auth, connections: connections[mode === 'single' ? 'single' : 'batch'], threads };
  };
  const go = async (system: System, mode: Mode, { round = 0, phase = 'main', secs = seconds, warm = warmup } = {}) => {
    const eventsPerRequest = mode === 'single' ? 1 : 100;
    const what = mode === 'single' ? 'single event' : mode === 'batch' ? '100-event batch' : `Segment ${SEGMENT_BATCH_PATH}, 100 events`;
    const when = phase !== 'main' ? ` (${phase}, leg ${round + 1})` : rounds > 1 && (mode !== 'batch' || system !== 'peer') ? ` (round ${round + 1})` : '';
    const name = `${names[system]}, ${what}${when}`;
    log(`  ${name}: warm-up ${warm} s, then ${secs} s ...`);
    const load = loadOf(system, mode);
    await wrk({ ...load, seconds: warm });
    // A pair checks its topics once around all its legs; a settle between legs would only add idle time to each.
    const topic = system === 'raw' || phase !== 'main' ? undefined : topics[system];
    const before = topic ? await settled(topic) : undefined;
    // Peak RSS is the deployed edge's (keys on) and the peers'.
    const server = system === 'edge' ? edge : system === 'peer' ? peer : system === 'jvm' ? jvm : undefined;
    const stopRss = server ? sampleRss(server.pid) : undefined;
    const r = await wrk({ ...load, seconds: secs });
    if (stopRss && (system === 'edge' || system === 'peer' || system === 'jvm')) {
      const s = stopRss();
      rss[system].peakProcessBytes = Math.max(rss[system].peakProcessBytes, s.peakProcessBytes);
      rss[system].peakTotalBytes = Math.max(rss[system].peakTotalBytes, s.peakTotalBytes);
    }
    runs.push({ system, name, mode, phase, eventsPerRequest, r });
    const eventsPerSecond = (r.ok * eventsPerRequest) / r.seconds;
    log(`    ${eventsPerSecond.toFixed(0)} events/s, p99 ${r.p99Ms.toFixed(1)} ms, ${r.non2xx + r.socketErrors} errors`);
    if (topic && before) counts.push({ name, acked: r.ok * eventsPerRequest, inTopic: topicDelta(before, await settled(topic)) });
    return eventsPerSecond;
  };
  const singles: System[] = ['raw', 'edge', ...(peer ? (['peer'] as const) : []), ...(jvm ? (['jvm'] as const) : [])];
  const batches: Array<[System, Mode]> = [['edge', 'batch'], ...(jvm ? [['jvm', 'batch'] as [System, Mode]] : [])];
  for (let round = 0; round < rounds; round++) {
    for (const system of round % 2 === 0 ? singles : [...singles].reverse()) await go(system, 'single', { round });
  }
  for (let round = 0; round < rounds; round++) {
    for (const [system, mode] of round % 2 === 0 ? batches : [...batches].reverse()) await go(system, mode, { round });
  }
  if (peer) await go('peer', 'batch');

  await expectSegmentTaken(`http://127.0.0.1:${ports.edge}${SEGMENT_BATCH_PATH}`);
  const pair = async (phase: string, a: [System, Mode], b: [System, Mode]) => {
    const legTopics = [...new Set([topics[a[0] as Exclude<System, 'raw'>], topics[b[0] as Exclude<System, 'raw'>]])];
    // A full warm-up of each side first: a leg's own 1 s is for the switch between sides, too short to warm a process
    // the main rounds never sent this load (the edge with AUTH=off, the tracing edge, Segment bodies).
    for (const [system, mode] of [a, b]) await wrk({ ...loadOf(system, mode), seconds: warmup });
    const before = await Promise.all(legTopics.map(settled));
    const from = runs.length;
    const result = await alternate({ a, b, blocks: pairBlocks, run: ([system, mode], round) => go(system, mode, { round, phase, secs: pairSeconds, warm: 1 }) });
    const legs = runs.slice(from);
    for (const [i, topic] of legTopics.entries()) {
      const acked = legs.filter((x) => topics[x.system as Exclude<System, 'raw'>] === topic).reduce((n, x) => n + x.r.ok * x.eventsPerRequest, 0);
      counts.push({ name: `${phase}: all legs on ${topic.replace(`-${id}`, '')}`, acked, inTopic: topicDelta(before[i]!, await settled(topic)) });
    }
    return result;
  };
  const pairs = {
    authSingle: await pair('auth on/off, single', ['edge', 'single'], ['edgeOff', 'single']),
    authBatch: await pair('auth on/off, batch', ['edge', 'batch'], ['edgeOff', 'batch']),
    tracingSingle: await pair('tracing 1%/off, single', ['edgeTraced', 'single'], ['edge', 'single']),
    tracingBatch: await pair('tracing 1%/off, batch', ['edgeTraced', 'batch'], ['edge', 'batch']),
    segment: await pair('Segment/edge batch', ['edge', 'segment'], ['edge', 'batch']),
  };

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
  const clientOptions = { brokers, topic: topics.client, processes, window: connections.batch, lingerMs, compression };
  let client: ClientRun | undefined;
  let clientError: string | undefined;
  try {
    await runBareClient({ ...clientOptions, seconds: warmup });
    const before = await settled(topics.client);
    client = await runBareClient({ ...clientOptions, seconds });
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
    const xs = runs.filter((r) => r.system === system && r.mode === mode && r.phase === 'main');
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
    batch: { edge: eps('edge', 'batch'), peer: eps('peer', 'batch'), jvm: eps('jvm', 'batch'), producerPerf: producerPerf?.recordsPerSec, client: client?.eventsPerSecond },
    pairLegs: { blocks: pairBlocks, seconds: pairSeconds },
    segment: { on: pairs.segment.a, off: pairs.segment.b },
    auth: {
      single: { on: pairs.authSingle.a, off: pairs.authSingle.b },
      batch: { on: pairs.authBatch.a, off: pairs.authBatch.b },
      rateLimited: meanRefusal(refused.rate_limited!),
      malformed: meanRefusal(refused.malformed_json!),
      ...(refusalError !== undefined && { refusalError }),
    },
    tracing: {
      single: { on: pairs.tracingSingle.a, off: pairs.tracingSingle.b },
      batch: { on: pairs.tracingBatch.a, off: pairs.tracingBatch.b },
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

/** One Segment batch must be taken whole (200, success) before wrk counts 2xx answers as 100 events each. */
async function expectSegmentTaken(url: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: segment });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"success":true')) throw new Error(`${SEGMENT_BATCH_PATH} answered ${res.status} ${text.slice(0, 300)}`);
}
