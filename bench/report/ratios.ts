/**
 * Ratio and target math for the bench report, with no I/O: every figure is a measurement beside its reference from
 * the same run (a peer, or a limit), turned into a ratio and judged against a target.
 */
import { bunPeerFigures } from './bun-peer.ts';
import { limitFigure, peerFigure, perEvent, ratio, rps, type Figure, type OnOffCpu, type Quantity, type SameRecords, type Target } from './figure.ts';

export { judge, limitFigure, peerFigure, quantile, ratio, score, summary } from './figure.ts';
export type { Figure, Op, OnOffCpu, Quantity, SameRecords, Status, Target } from './figure.ts';

/** The report's targets, in one place. */
export const TARGETS = {
  singleVsPeer: { op: '>=', value: 4 },
  singleVsRaw: { op: '>=', value: 0.75 },
  batchVsPeer: { op: '>=', value: 2 },
  batchVsProducerPerf: { op: '>=', value: 1 },
  batchVsKafkaClient: { op: '>=', value: 0.7 },
  workersVsSlowestStore: { op: '>=', value: 0.8 },
  e2eP99Ms: { op: '<=', value: 1500 },
  dashboardP99Ms: { op: '<=', value: 20 },
  edgeRssMb: { op: '<=', value: 150 },
  authOnVsOff: { op: '>=', value: 0.95 },
  tracingVsOff: { op: '>=', value: 0.95 },
  segmentVsBatch: { op: '>=', value: 0.8 },
  // The CPU side of the three throughput targets above: a feature may cost at most ~5% more edge CPU per event, and
  // a Segment event at most 1 / 0.8 = 1.25 times the edge's own.
  authCpuOnVsOff: { op: '<=', value: 1.05 },
  tracingCpuVsOff: { op: '<=', value: 1.05 },
  segmentCpuVsBatch: { op: '<=', value: 1.25 },
  rateLimitedVsMalformedCpu: { op: '<=', value: 1 },
  singleVsJvm: { op: '>=', value: 1.25 },
  batchVsJvm: { op: '>=', value: 1.25 },
  edgeRssVsJvm: { op: '<=', value: 0.75 },
  // The CPU side of the two JVM targets: 1.25x the JVM peer's rate on the same cores is at most 1 / 1.25 of its CPU per event.
  cpuVsJvm: { op: '<=', value: 0.8 },
  auditVsConsume: { op: '>=', value: 0.5 },
} as const satisfies Record<string, Target>;


/** µs of each server's own CPU (process tree, /proc) per acknowledged event over its main rounds. */
export type ServerCpu = { edge?: number; jvm?: number; bunPeer?: number };

/** What the parts measured, as the report orchestrator gathers them (all optional: a part may fail or be skipped). */
export interface Measurements {
  edge?: {
    /** jvm: the JVM peer (bench/peers/jvm-bridge: Vert.x + Kafka's Java producer); bunPeer: its work on Bun (bench/peers/bun-bridge). */
    single: { edge?: number; peer?: number; raw?: number; jvm?: number; bunPeer?: number };
    /** client: the bare Kafka client producing the edge's own records with the edge's settings (bench/edge/client.ts). */
    batch: { edge?: number; peer?: number; producerPerf?: number; client?: number; jvm?: number; bunPeer?: number };
    /** µs of each server's own CPU (process tree, /proc) per acknowledged event over its main rounds. */
    cpu?: { single: ServerCpu; batch: ServerCpu };
    /**
     * Segment `/v1/batch` (100 track messages a request) and the edge's own 100-event batches on the same edge,
     * events/s; segmentCpuUs, edgeCpuUs: µs of edge CPU per acknowledged event over each side's legs.
     */
    segment?: { segment?: number; edge?: number; segmentCpuUs?: number; edgeCpuUs?: number };
    /**
     * The events Segment's route makes of those bodies, sent to the edge's own /v1/events, and the edge's own
     * batches, on the same edge: the same records as Segment's, without its route. Events/s and µs CPU per event.
     */
    segmentEvents?: SameRecords;
    /** The same two bodies through the Bun peer (bench/peers/bun-bridge): those records through the minimal bridge. */
    bunPeerSegmentEvents?: SameRecords;
    /** Peak RSS in MB of the edge's and the Bun peer's process trees and of the JVM peer's process, same loads, same run. */
    rss?: { edgeMb?: number; jvmMb?: number; bunPeerMb?: number };
    /**
     * The edge with keys on (an ingest key without a rate limit) and with AUTH=off, events/s; the edge's CPU per
     * request, in µs, refused 429 rate_limited (a key at its limit) and 400 malformed_json. The *Cpu* fields of a
     * pair: µs of edge CPU per acknowledged event, on each side, over its legs.
     */
    auth?: OnOffCpu & { rateLimitedCpuUs?: number; malformedCpuUs?: number };
    /** The edge tracing 1% of requests (parentbased_traceidratio 0.01, OTLP/HTTP) and with tracing off, events/s. */
    tracing?: OnOffCpu;
    /** The edge (on) against the Bun peer (off), the same loads in ABBA legs: events/s and each one's CPU per event. */
    vsBunPeer?: OnOffCpu;
  };
  workers?: { eventsPerSec?: number; slowestRaw?: number; slowestName?: string };
  e2e?: { p50Ms?: number; p99Ms?: number; rate?: number };
  query?: { p50Ms?: number; p99Ms?: number; rawP99Ms?: number; rate?: number };
  memory?: { edgeMb?: number; peerMb?: number; workerMb?: number; gatewayMb?: number };
  kafka?: { bun?: number; java?: number };
  /** npm run audit over a range and a plain shared/kafka read of the same records, events/s (bench/audit/run.ts). */
  audit?: { auditEventsPerSec?: number; consumeEventsPerSec?: number };
}

/**
 * What the CPU rows measure. Throughput ratios of two edges swing by ±0.3 between runs on a 2-core host where wrk, the
 * broker and the edges share the CPU (2026-12-06 reports); the CPU each event costs the edge varies less with the
 * edge's share of the host (bench/README.md).
 */
const CPU_NOTE = "edge CPU (user + system of every serving process, librdkafka's threads included, from /proc) over the pair's legs, pooled, / events acknowledged; supports the throughput row above it, which is the judged one";

const SEGMENT_RECORDS_NOTE =
  "no target: the events Segment's route makes of the Segment row's bodies (the same Kafka records, about twice the size of the edge's own), sent to the same edge's /v1/events against its own batches, in ABBA legs: what the larger records cost without Segment's route";

/** Every figure of the report, from the parts' measurements. Missing measurements give n/a figures, not errors. */
export function buildFigures(m: Measurements): Figure[] {
  const out: Figure[] = [];
  // The first CPU row says what the figure is; the others point back to it rather than repeat it in the notes.
  let cpuNoted = false;
  /** The CPU row beside a pair's throughput row: CPU per event of the feature on (or Segment) over off (or the edge's batches). */
  const cpuRow = (f: { id: string; part: string; label: string; on: Quantity; off: Quantity; target: Target }) => {
    const note = cpuNoted ? 'edge CPU per acknowledged event, measured as in the CPU row above' : CPU_NOTE;
    cpuNoted = true;
    return peerFigure({ id: f.id, part: f.part, label: `${f.label}, edge CPU per event`, subject: f.on, reference: f.off, target: f.target, supporting: true, note });
  };
  if (m.edge) {
    const s = m.edge.single;
    const b = m.edge.batch;
    out.push(
      peerFigure({ id: 'edge.single.vsPeer', part: 'edge', label: 'Single events: edge / Node peer', subject: rps('edge', s.edge), reference: rps('Node peer', s.peer), target: TARGETS.singleVsPeer }),
      peerFigure({ id: 'edge.single.vsRaw', part: 'edge', label: 'Single events: edge / raw Bun.serve', subject: rps('edge', s.edge), reference: rps('raw Bun.serve', s.raw, 'req/s'), target: TARGETS.singleVsRaw }),
      peerFigure({ id: 'edge.batch.vsPeer', part: 'batch', label: 'Batches of 100: edge / Node peer', subject: rps('edge', b.edge), reference: rps('Node peer', b.peer), target: TARGETS.batchVsPeer }),
      peerFigure({ id: 'edge.batch.vsProducerPerf', part: 'batch', label: 'Batches of 100: edge / ProducerPerformance', subject: rps('edge', b.edge), reference: rps('ProducerPerformance', b.producerPerf, 'records/s'), target: TARGETS.batchVsProducerPerf }),
      peerFigure({ id: 'edge.batch.segment', part: 'batch', label: 'Batches of 100: Segment /v1/batch / edge /v1/events', subject: rps('Segment /v1/batch', m.edge.segment?.segment), reference: rps('edge /v1/events', m.edge.segment?.edge), target: TARGETS.segmentVsBatch, note: "100 analytics-node track messages (~8 properties, context, messageId, timestamps) per request, same edge, connections and key, in ABBA legs" }),
      cpuRow({ id: 'edge.batch.segment.cpu', part: 'batch', label: 'Batches of 100: Segment /v1/batch / edge /v1/events', on: perEvent('Segment /v1/batch', m.edge.segment?.segmentCpuUs), off: perEvent('edge /v1/events', m.edge.segment?.edgeCpuUs), target: TARGETS.segmentCpuVsBatch }),
      peerFigure({ id: 'edge.batch.vsClient', part: 'batch', label: "Batches of 100: edge / Kafka client alone, edge's records", subject: rps('edge', b.edge), reference: rps('shared/kafka, edge records', b.client), target: TARGETS.batchVsKafkaClient, note: 'same records and producer settings, no HTTP, parsing or validation' }),
    );
    // No targets: the Segment row's records without Segment's route, on the edge and through the Bun peer.
    const same = m.edge.segmentEvents;
    if (same) {
      out.push(
        peerFigure({ id: 'edge.batch.segmentRecords', part: 'batch', label: "Batches of 100: edge /v1/events, Segment's records / its own", subject: rps("Segment's records", same.segment), reference: rps('own records', same.own), note: SEGMENT_RECORDS_NOTE }),
        peerFigure({ id: 'edge.batch.segmentRecords.cpu', part: 'batch', label: "Batches of 100: edge /v1/events, Segment's records / its own, edge CPU per event", subject: perEvent("Segment's records", same.segmentCpuUs), reference: perEvent('own records', same.ownCpuUs), supporting: true, note: 'edge CPU per acknowledged event, measured as in the Segment CPU row' }),
      );
    }
    if (s.jvm !== undefined || b.jvm !== undefined) {
      const mb = (name: string, value: number | undefined): Quantity => ({ name, value, unit: 'MB' });
      const jvmNote = 'Vert.x 5 + Apache Kafka\'s Java producer, one HTTP server per event loop, the edge\'s producer settings';
      out.push(
        peerFigure({ id: 'edge.single.vsJvm', part: 'edge', label: 'Single events: edge / JVM peer', subject: rps('edge', s.edge), reference: rps('JVM peer', s.jvm), target: TARGETS.singleVsJvm, note: jvmNote }),
        peerFigure({ id: 'edge.single.vsJvm.cpu', part: 'edge', label: 'Single events: edge / JVM peer, server CPU per event', subject: perEvent('edge', m.edge.cpu?.single.edge), reference: perEvent('JVM peer', m.edge.cpu?.single.jvm), target: TARGETS.cpuVsJvm, supporting: true, note: "each server's own CPU (user + system of its process tree, /proc) over its main rounds / acknowledged events: what each gets per core, leaving out wrk's and the broker's share of the host" }),
        peerFigure({ id: 'edge.batch.vsJvm', part: 'batch', label: 'Batches of 100: edge / JVM peer', subject: rps('edge', b.edge), reference: rps('JVM peer', b.jvm), target: TARGETS.batchVsJvm }),
        peerFigure({ id: 'edge.batch.vsJvm.cpu', part: 'batch', label: 'Batches of 100: edge / JVM peer, server CPU per event', subject: perEvent('edge', m.edge.cpu?.batch.edge), reference: perEvent('JVM peer', m.edge.cpu?.batch.jvm), target: TARGETS.cpuVsJvm, supporting: true, note: 'measured as in the single-event row' }),
        peerFigure({ id: 'memory.edge.vsJvm', part: 'memory', label: 'Edge RSS / JVM peer RSS', subject: mb('edge', m.edge.rss?.edgeMb), reference: mb('JVM peer', m.edge.rss?.jvmMb), target: TARGETS.edgeRssVsJvm, note: "peak RSS of the edge's process tree (the file pages its processes share, such as the Bun binary, counted once) against the JVM peer's one process, under the same loads; the JVM peer runs with -Xmx512m" }),
      );
    }
    out.push(...bunPeerFigures(m.edge));
    const a = m.edge.auth;
    if (a) {
      const cpu = (name: string, value: number | undefined): Quantity => ({ name, value, unit: 'µs CPU/request' });
      out.push(
        peerFigure({ id: 'edge.auth.single', part: 'edge', label: 'Single events: auth on / auth off', subject: rps('auth on', a.singleOn), reference: rps('AUTH=off', a.singleOff), target: TARGETS.authOnVsOff, note: 'the same edge with an unlimited ingest key and with AUTH=off, in ABBA legs' }),
        cpuRow({ id: 'edge.auth.single.cpu', part: 'edge', label: 'Single events: auth on / auth off', on: perEvent('auth on', a.singleCpuOn), off: perEvent('AUTH=off', a.singleCpuOff), target: TARGETS.authCpuOnVsOff }),
        peerFigure({ id: 'edge.auth.batch', part: 'batch', label: 'Batches of 100: auth on / auth off', subject: rps('auth on', a.batchOn), reference: rps('AUTH=off', a.batchOff), target: TARGETS.authOnVsOff }),
        cpuRow({ id: 'edge.auth.batch.cpu', part: 'batch', label: 'Batches of 100: auth on / auth off', on: perEvent('auth on', a.batchCpuOn), off: perEvent('AUTH=off', a.batchCpuOff), target: TARGETS.authCpuOnVsOff }),
        peerFigure({ id: 'edge.auth.refusalCpu', part: 'edge', label: '429 rate_limited / 400 CPU per request', subject: cpu('429 rate_limited', a.rateLimitedCpuUs), reference: cpu('400 malformed_json', a.malformedCpuUs), target: TARGETS.rateLimitedVsMalformedCpu, note: "edge CPU (user + system, /proc) over the run / requests; a key held at its limit against malformed JSON with an unlimited key" }),
      );
    }
  }
  const t = m.edge?.tracing;
  if (t) {
    out.push(
      peerFigure({ id: 'edge.tracing.single', part: 'edge', label: 'Single events: tracing 1% / off', subject: rps('tracing 1%', t.singleOn), reference: rps('tracing off', t.singleOff), target: TARGETS.tracingVsOff, note: 'the same edge tracing 1% of requests to an OTLP/HTTP receiver and with tracing off, in ABBA legs' }),
      cpuRow({ id: 'edge.tracing.single.cpu', part: 'edge', label: 'Single events: tracing 1% / off', on: perEvent('tracing 1%', t.singleCpuOn), off: perEvent('tracing off', t.singleCpuOff), target: TARGETS.tracingCpuVsOff }),
      peerFigure({ id: 'edge.tracing.batch', part: 'batch', label: 'Batches of 100: tracing 1% / off', subject: rps('tracing 1%', t.batchOn), reference: rps('tracing off', t.batchOff), target: TARGETS.tracingVsOff }),
      cpuRow({ id: 'edge.tracing.batch.cpu', part: 'batch', label: 'Batches of 100: tracing 1% / off', on: perEvent('tracing 1%', t.batchCpuOn), off: perEvent('tracing off', t.batchCpuOff), target: TARGETS.tracingCpuVsOff }),
    );
  }
  if (m.edge && m.kafka) {
    // Against bench:kafka's bare 200-byte records (no key, headers or compression): the ceiling the edge is held to.
    const b = m.edge.batch;
    out.push(
      peerFigure({ id: 'edge.batch.vsKafka', part: 'batch', label: 'Batches of 100: edge / bench:kafka', subject: rps('edge', b.edge), reference: rps('bench:kafka', m.kafka.bun, 'msgs/s'), target: TARGETS.batchVsKafkaClient }),
      peerFigure({ id: 'kafka.edgeRecords.vsKafka', part: 'kafka', label: "Kafka client alone: edge's records / bench:kafka's records", subject: rps('shared/kafka, edge records', b.client), reference: rps('bench:kafka', m.kafka.bun, 'msgs/s'), note: 'no target: the most edge / bench:kafka could reach if the edge did no work of its own' }),
    );
  }
  if (m.workers) {
    out.push(peerFigure({ id: 'workers.vsSlowestStore', part: 'workers', label: "Workers: all sinks / slowest store's raw rate", subject: rps('workers', m.workers.eventsPerSec), reference: rps(m.workers.slowestName ?? 'slowest store', m.workers.slowestRaw), target: TARGETS.workersVsSlowestStore }));
  }
  if (m.e2e) {
    out.push(limitFigure({ id: 'e2e.p99', part: 'e2e', label: `End to end p99, 202 → GraphQL${m.e2e.rate ? ` at ${Math.round(m.e2e.rate)} events/s` : ''}`, subject: { name: 'p99', value: m.e2e.p99Ms, unit: 'ms' }, target: TARGETS.e2eP99Ms, note: m.e2e.p50Ms !== undefined ? `p50 ${m.e2e.p50Ms.toFixed(0)} ms` : undefined }));
  }
  if (m.query) {
    out.push(limitFigure({ id: 'query.dashboard.p99', part: 'query', label: `Dashboard query p99${m.query.rate ? ` at ${m.query.rate} req/s` : ''}`, subject: { name: 'gateway p99', value: m.query.p99Ms, unit: 'ms' }, target: TARGETS.dashboardP99Ms, peer: { name: 'raw _msearch p99', value: m.query.rawP99Ms, unit: 'ms' }, note: m.query.p50Ms !== undefined ? `p50 ${m.query.p50Ms.toFixed(1)} ms` : undefined }));
  }
  if (m.memory) {
    out.push(limitFigure({ id: 'memory.edge', part: 'memory', label: 'Edge peak RSS per process under load', subject: { name: 'edge', value: m.memory.edgeMb, unit: 'MB' }, target: TARGETS.edgeRssMb, peer: { name: 'Node peer', value: m.memory.peerMb, unit: 'MB' } }));
    out.push(limitFigure({ id: 'memory.worker', part: 'memory', label: 'Worker peak RSS per process', subject: { name: 'worker', value: m.memory.workerMb, unit: 'MB' }, note: 'no target; reported' }));
    out.push(limitFigure({ id: 'memory.gateway', part: 'memory', label: 'Gateway peak RSS', subject: { name: 'gateway', value: m.memory.gatewayMb, unit: 'MB' }, note: 'no target; reported' }));
  }
  if (m.audit) {
    out.push(peerFigure({ id: 'audit.vsConsume', part: 'audit', label: 'Audit: read rate / consume rate', subject: rps('npm run audit', m.audit.auditEventsPerSec), reference: rps('plain shared/kafka read', m.audit.consumeEventsPerSec), target: TARGETS.auditVsConsume, note: 'the audit process over a range (Kafka read, ids looked up in all three stores) against a consumer reading the same records, alternating rounds' }));
  }
  if (m.kafka) {
    out.push(peerFigure({ id: 'kafka.client.vsJava', part: 'kafka', label: 'Kafka client (bun:ffi) / ProducerPerformance', subject: rps('shared/kafka', m.kafka.bun, 'msgs/s'), reference: rps('ProducerPerformance', m.kafka.java, 'msgs/s'), target: { op: '>=', value: 1.2 }, note: "bench:kafka's own target" }));
  }
  return out;
}
