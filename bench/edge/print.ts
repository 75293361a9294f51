import type { CountCheck } from '../report/counts.ts';
import { TARGETS } from '../report/ratios.ts';
import { printTable } from '../lib/run.ts';
import type { WrkResult } from '../lib/wrk.ts';
import type { RefusalRun } from './refusals.ts';

/**
 * An on/off pair's result: mean events/s of each side, and µs of edge CPU (user + system of every serving process,
 * from /proc) per acknowledged event, CPU and events pooled over the side's legs. NaN (null in JSON) when not measured.
 */
export interface OnOff {
  on?: number;
  off?: number;
  cpuUsPerEvent?: { on?: number; off?: number };
}

/** bench:edge's result line (--json) and what the text output prints from it. */
export interface EdgeResult {
  rounds: number;
  runs: Array<WrkResult & { name: string; eventsPerSecond: number }>;
  /** jvm: the JVM peer (bench/peers/jvm-bridge); bunPeer: the Bun peer doing its work (bench/peers/bun-bridge). */
  single: { edge?: number; peer?: number; raw?: number; jvm?: number; bunPeer?: number };
  batch: { edge?: number; peer?: number; producerPerf?: number; client?: number; jvm?: number; bunPeer?: number };
  /** µs of each system's own CPU (its process tree, /proc) per acknowledged event over its main rounds. */
  cpuUsPerEvent?: { single: { edge?: number; peer?: number; raw?: number; jvm?: number; bunPeer?: number }; batch: { edge?: number; peer?: number; jvm?: number; bunPeer?: number } };
  /** The on/off pairs' legs (pairs.ts): 2 × blocks legs of `seconds` each. */
  pairLegs: { blocks: number; seconds: number };
  /** The same edge taking Segment `/v1/batch` bodies of 100 track messages (on) and its own 100-event batches (off). */
  segment: OnOff;
  /** The same edge taking, on /v1/events, the events Segment's route makes of those bodies (on) and its own batches (off). */
  segmentEvents: OnOff;
  /** The Bun peer taking those events (on) and the edge's batch body (off): the same records through the minimal bridge. */
  bunPeerSegmentEvents?: OnOff;
  /** The edge (on) against the Bun peer (off), same loads, in ABBA legs. */
  vsBunPeer?: { single: OnOff; batch: OnOff };
  /** The edge with keys on (an unlimited ingest key) against the same edge with AUTH=off, in ABBA legs. */
  auth: {
    single: OnOff;
    batch: OnOff;
    rateLimited?: RefusalRun;
    malformed?: RefusalRun;
    refusalError?: string;
  };
  /** The same edge (keys on) tracing 1% of requests (parentbased_traceidratio 0.01) against tracing off, in ABBA legs. */
  tracing: { single: OnOff; batch: OnOff };
  rss: { edge: { peakProcessBytes: number; peakTotalBytes: number }; peer?: { peakProcessBytes: number }; jvm?: { peakProcessBytes: number; peakTotalBytes: number }; bunPeer?: { peakProcessBytes: number; peakTotalBytes: number } };
  counts: CountCheck[];
}

const ratio = (a?: number, b?: number) => (a && b && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');
const us = (x?: number) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(1)} µs` : 'n/a');
/** A pair's CPU per event on each side and their ratio, as one line's value. */
const cpuPair = (p: OnOff) => `${ratio(p.cpuUsPerEvent?.on, p.cpuUsPerEvent?.off)}  (${us(p.cpuUsPerEvent?.on)} / ${us(p.cpuUsPerEvent?.off)} per event`;
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const plural = (n: number) => `${n} round${n > 1 ? 's' : ''}`;

export function printEdgeResult(result: EdgeResult): void {
  printTable(
    ['run', 'req/s', 'events/s', 'p50 ms', 'p99 ms', 'errors'],
    result.runs.map((x) => [x.name, x.rps.toFixed(0), x.eventsPerSecond.toFixed(0), x.p50Ms.toFixed(2), x.p99Ms.toFixed(2), String(x.non2xx + x.socketErrors)]),
  );
  const { single, batch, auth, tracing, segment, segmentEvents, bunPeerSegmentEvents, vsBunPeer, pairLegs } = result;
  const legs = `${2 * pairLegs.blocks} legs of ${pairLegs.seconds} s, ABBA`;
  const cpu = (run?: RefusalRun) => us(run?.cpuUsPerRequest);
  const c = result.cpuUsPerEvent;
  console.log(`
ProducerPerformance (edge's records)         ${batch.producerPerf?.toFixed(0) ?? 'n/a'} records/s
Kafka client alone (edge's records)          ${batch.client?.toFixed(0) ?? 'n/a'} events/s
ratio  single: edge / Node peer              ${ratio(single.edge, single.peer)}  (target ≥ ${TARGETS.singleVsPeer.value}×)
ratio  single: edge / raw Bun.serve          ${ratio(single.edge, single.raw)}  (target ≥ ${TARGETS.singleVsRaw.value}×; single events: means of ${plural(result.rounds)})
ratio  single: auth on / auth off            ${ratio(auth.single.on, auth.single.off)}  (target ≥ ${TARGETS.authOnVsOff.value}×; the same edge with an unlimited key and with AUTH=off; ${legs})
ratio  batch: edge / Node peer               ${ratio(batch.edge, batch.peer)}  (target ≥ ${TARGETS.batchVsPeer.value}×)
ratio  single: edge / JVM peer               ${ratio(single.edge, single.jvm)}  (target ≥ ${TARGETS.singleVsJvm.value}×; Vert.x + Kafka's Java producer)
ratio  batch: edge / JVM peer                ${ratio(batch.edge, batch.jvm)}  (target ≥ ${TARGETS.batchVsJvm.value}×)
CPU    single: edge / JVM peer per event     ${ratio(c?.single.edge, c?.single.jvm)}  (${us(c?.single.edge)} / ${us(c?.single.jvm)} per event; target ≤ ${TARGETS.cpuVsJvm.value.toFixed(2)}×; each server's process tree, /proc, over its rounds)
CPU    batch: edge / JVM peer per event      ${ratio(c?.batch.edge, c?.batch.jvm)}  (${us(c?.batch.edge)} / ${us(c?.batch.jvm)} per event; target ≤ ${TARGETS.cpuVsJvm.value.toFixed(2)}×)
ratio  RSS: edge / JVM peer                  ${ratio(result.rss.edge.peakTotalBytes, result.rss.jvm?.peakTotalBytes)}  (target ≤ ${TARGETS.edgeRssVsJvm.value}×; edge ${mb(result.rss.edge.peakTotalBytes)} over its processes, JVM peer ${result.rss.jvm ? mb(result.rss.jvm.peakTotalBytes) : 'n/a'})
ratio  single: Bun peer / JVM peer           ${ratio(single.bunPeer, single.jvm)}  (no target: Bun.serve + shared/kafka doing only the JVM peer's work, the ceiling of a Bun bridge here)
ratio  batch: Bun peer / JVM peer            ${ratio(batch.bunPeer, batch.jvm)}
ratio  single: edge / Bun peer               ${ratio(single.edge, single.bunPeer)}  (no target: what the edge's own work costs against that ceiling)
ratio  batch: edge / Bun peer                ${ratio(batch.edge, batch.bunPeer)}
ratio  single: edge / Bun peer, legs         ${ratio(vsBunPeer?.single.on, vsBunPeer?.single.off)}  (no target: the same two in ${legs})
ratio  batch: edge / Bun peer, legs          ${ratio(vsBunPeer?.batch.on, vsBunPeer?.batch.off)}
CPU    single: edge / Bun peer per event     ${vsBunPeer ? cpuPair(vsBunPeer.single) : 'n/a (no Bun peer'})
CPU    batch: edge / Bun peer per event      ${vsBunPeer ? cpuPair(vsBunPeer.batch) : 'n/a (no Bun peer'})
CPU    single: Bun peer / JVM peer per event ${ratio(c?.single.bunPeer, c?.single.jvm)}  (${us(c?.single.bunPeer)} / ${us(c?.single.jvm)} per event)
CPU    batch: Bun peer / JVM peer per event  ${ratio(c?.batch.bunPeer, c?.batch.jvm)}  (${us(c?.batch.bunPeer)} / ${us(c?.batch.jvm)} per event)
ratio  RSS: Bun peer / JVM peer              ${ratio(result.rss.bunPeer?.peakTotalBytes, result.rss.jvm?.peakTotalBytes)}  (no target; Bun peer ${result.rss.bunPeer ? mb(result.rss.bunPeer.peakTotalBytes) : 'n/a'} over its processes)
ratio  batch: edge / ProducerPerformance     ${ratio(batch.edge, batch.producerPerf)}  (target ≥ ${TARGETS.batchVsProducerPerf.value.toFixed(1)}×)
ratio  batch: edge / Kafka client alone      ${ratio(batch.edge, batch.client)}  (the same records with the same settings; the report's ≥ ${TARGETS.batchVsKafkaClient.value}× row is against bench:kafka's bare records)
ratio  batch: Segment / edge /v1/events      ${ratio(segment.on, segment.off)}  (target ≥ ${TARGETS.segmentVsBatch.value}×; Segment /v1/batch, 100 analytics-node tracks, against the edge's 100-event batches; ${legs})
ratio  batch: edge, Segment's records / own ${ratio(segmentEvents.on, segmentEvents.off)}  (no target: the events Segment's route makes of its bodies, sent to /v1/events; ${legs})
ratio  batch: Bun peer, Segment's records / own ${ratio(bunPeerSegmentEvents?.on, bunPeerSegmentEvents?.off)}  (no target: the same two bodies through the Bun peer, the ceiling for these records)
ratio  batch: auth on / auth off             ${ratio(auth.batch.on, auth.batch.off)}  (target ≥ ${TARGETS.authOnVsOff.value}×; ${legs})
ratio  single: tracing 1% / off              ${ratio(tracing.single.on, tracing.single.off)}  (target ≥ ${TARGETS.tracingVsOff.value}×; spans of 1% of requests to an OTLP/HTTP receiver)
ratio  batch: tracing 1% / off               ${ratio(tracing.batch.on, tracing.batch.off)}  (target ≥ ${TARGETS.tracingVsOff.value}×)
CPU    single: auth on / auth off per event  ${cpuPair(auth.single)}; target ≤ ${TARGETS.authCpuOnVsOff.value.toFixed(2)}×; edge CPU over the pair's legs / acknowledged events)
CPU    batch: auth on / auth off per event   ${cpuPair(auth.batch)}; target ≤ ${TARGETS.authCpuOnVsOff.value.toFixed(2)}×)
CPU    single: tracing 1% / off per event    ${cpuPair(tracing.single)}; target ≤ ${TARGETS.tracingCpuVsOff.value.toFixed(2)}×)
CPU    batch: tracing 1% / off per event     ${cpuPair(tracing.batch)}; target ≤ ${TARGETS.tracingCpuVsOff.value.toFixed(2)}×)
CPU    batch: Segment / edge per event       ${cpuPair(segment)}; target ≤ ${TARGETS.segmentCpuVsBatch.value.toFixed(2)}×)
CPU    batch: edge, Segment's records / own ${cpuPair(segmentEvents)})
CPU    batch: Bun peer, Segment's records / own ${bunPeerSegmentEvents ? cpuPair(bunPeerSegmentEvents) : 'n/a (no Bun peer'})
CPU    429 rate_limited per request          ${cpu(auth.rateLimited)}  (edge CPU over the run / requests; a key held at its limit)
CPU    400 malformed_json per request        ${cpu(auth.malformed)}
ratio  429 / 400 CPU per request             ${ratio(auth.rateLimited?.cpuUsPerRequest, auth.malformed?.cpuUsPerRequest)}  (target ≤ ${TARGETS.rateLimitedVsMalformedCpu.value.toFixed(1)}×)${auth.refusalError ? `\n       not measured: ${auth.refusalError}` : ''}
RSS    edge peak per process                 ${mb(result.rss.edge.peakProcessBytes)}  (target ≤ ${TARGETS.edgeRssMb.value} MB); Node peer ${result.rss.peer ? mb(result.rss.peer.peakProcessBytes) : 'n/a'}`);
  for (const c of result.counts) console.log(`count  ${c.name.padEnd(40)} ${c.inTopic} in topic ≥ ${c.acked} acknowledged: ${c.ok ? 'ok' : 'LOSS'}`);
}
