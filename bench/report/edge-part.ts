import type { CountCheck } from './counts.ts';
import type { Measurements } from './ratios.ts';

/** An on/off pair in bench:edge's JSON line: events/s of each side, and µs of edge CPU per event (null when not measured). */
export interface OnOffOut {
  on?: number;
  off?: number;
  cpuUsPerEvent?: { on?: number | null; off?: number | null };
}

/** µs of each server's own CPU per event in bench:edge's JSON line; null (a NaN in JSON) as not measured. */
type ServerCpuOut = { edge?: number | null; jvm?: number | null; bunPeer?: number | null };

/** The fields of bench:edge's JSON line (bench/edge/print.ts EdgeResult) the report reads. */
export interface EdgeOut {
  single: { edge?: number; peer?: number; raw?: number; jvm?: number; bunPeer?: number };
  batch: { edge?: number; peer?: number; producerPerf?: number; client?: number; jvm?: number; bunPeer?: number };
  cpuUsPerEvent?: { single: ServerCpuOut; batch: ServerCpuOut };
  segment?: OnOffOut;
  segmentEvents?: OnOffOut;
  bunPeerSegmentEvents?: OnOffOut;
  /** The edge (on) against the Bun peer (off) in ABBA legs. */
  vsBunPeer?: { single: OnOffOut; batch: OnOffOut };
  auth?: {
    single: OnOffOut;
    batch: OnOffOut;
    rateLimited?: { cpuUsPerRequest: number };
    malformed?: { cpuUsPerRequest: number };
    refusalError?: string;
  };
  tracing?: { single: OnOffOut; batch: OnOffOut };
  rss: { edge: { peakProcessBytes: number; peakTotalBytes?: number }; peer?: { peakProcessBytes: number }; jvm?: { peakProcessBytes: number; peakTotalBytes?: number }; bunPeer?: { peakProcessBytes: number; peakTotalBytes?: number } };
  counts: CountCheck[];
  noLoss: boolean;
}

const mb = (b: number | undefined) => (b ? b / 1048576 : undefined);
const cpuOf = (p: OnOffOut, side: 'on' | 'off') => p.cpuUsPerEvent?.[side] ?? undefined;
/** A pair for single events and batches as the report's measurements: events/s and CPU per event of each side. */
const onOffCpu = (single: OnOffOut, batch: OnOffOut) => ({
  singleOn: single.on,
  singleOff: single.off,
  batchOn: batch.on,
  batchOff: batch.off,
  singleCpuOn: cpuOf(single, 'on'),
  singleCpuOff: cpuOf(single, 'off'),
  batchCpuOn: cpuOf(batch, 'on'),
  batchCpuOff: cpuOf(batch, 'off'),
});

/** The edge's and the peers' CPU per event, with null as not measured. */
const serverCpu = (c: ServerCpuOut) => ({ edge: c.edge ?? undefined, jvm: c.jvm ?? undefined, bunPeer: c.bunPeer ?? undefined });

/** A pair of Segment's events on /v1/events (on) and the edge's own batch body (off) as the report reads it. */
const sameRecords = (p: OnOffOut) => ({ segment: p.on, own: p.off, segmentCpuUs: cpuOf(p, 'on'), ownCpuUs: cpuOf(p, 'off') });

/** bench:edge's JSON line as the report's edge measurements. */
export function edgeMeasurements(edge: EdgeOut): NonNullable<Measurements['edge']> {
  const a = edge.auth;
  const t = edge.tracing;
  return {
    single: edge.single,
    batch: edge.batch,
    ...(edge.cpuUsPerEvent && { cpu: { single: serverCpu(edge.cpuUsPerEvent.single), batch: serverCpu(edge.cpuUsPerEvent.batch) } }),
    // Whole process trees: the edge runs one process per core, the JVM peer one process with a thread per core.
    ...(edge.rss.jvm && { rss: { edgeMb: mb(edge.rss.edge.peakTotalBytes), jvmMb: mb(edge.rss.jvm.peakTotalBytes), bunPeerMb: mb(edge.rss.bunPeer?.peakTotalBytes) } }),
    ...(a && { auth: { ...onOffCpu(a.single, a.batch), rateLimitedCpuUs: a.rateLimited?.cpuUsPerRequest, malformedCpuUs: a.malformed?.cpuUsPerRequest } }),
    ...(t && { tracing: onOffCpu(t.single, t.batch) }),
    ...(edge.segment && { segment: { segment: edge.segment.on, edge: edge.segment.off, segmentCpuUs: cpuOf(edge.segment, 'on'), edgeCpuUs: cpuOf(edge.segment, 'off') } }),
    ...(edge.segmentEvents && { segmentEvents: sameRecords(edge.segmentEvents) }),
    ...(edge.bunPeerSegmentEvents && { bunPeerSegmentEvents: sameRecords(edge.bunPeerSegmentEvents) }),
    ...(edge.vsBunPeer && { vsBunPeer: onOffCpu(edge.vsBunPeer.single, edge.vsBunPeer.batch) }),
  };
}
