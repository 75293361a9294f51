import { verifyCounts, type CountInput } from '../report/counts.ts';
import type { ClientRun } from './bare-client.ts';
import type { Mode, PeakRss, RssSystem, Run } from './legs.ts';
import type { PairResult } from './pairs.ts';
import type { EdgeResult, OnOff } from './print.ts';
import { meanRefusal, type RefusalRun } from './refusals.ts';
import type { System } from './systems.ts';

export interface ResultInput {
  settings: {
    processes: number;
    rounds: number;
    seconds: number;
    connections: { single: number; batch: number };
    threads: number;
    lingerMs: number;
    compression: string;
    eventBytes: number;
    segmentEventBytes: number;
    recordBytes: number;
    /** Mean bytes of the records Segment's messages become (segmentEventsBody). */
    segmentRecordBytes: number;
    pairLegs: { blocks: number; seconds: number };
  };
  runs: readonly Run[];
  pairs: Record<'authSingle' | 'authBatch' | 'tracingSingle' | 'tracingBatch' | 'segment' | 'segmentEvents', PairResult> & Partial<Record<'bunPeerSegmentEvents' | 'bunPeerSingle' | 'bunPeerBatch', PairResult | undefined>>;
  refused: Record<'rate_limited' | 'malformed_json', RefusalRun[]>;
  refusalError?: string | undefined;
  client?: ClientRun | undefined;
  clientError?: string | undefined;
  producerPerf?: { recordsPerSec: number } | undefined;
  producerPerfError?: string | undefined;
  rss: Record<RssSystem, PeakRss>;
  withPeer: boolean;
  withJvm: boolean;
  withBunPeer: boolean;
  counts: readonly CountInput[];
}

/** A pair as the result line carries it: A is the feature on (or Segment), B off (or the edge's own batches). */
export const onOff = (p: PairResult): OnOff => ({ on: p.a, off: p.b, cpuUsPerEvent: { on: p.cpuUsPerEvent.a, off: p.cpuUsPerEvent.b } });

/** bench:edge's result line from its runs: means of the main rounds, the pairs, the refusals and the count checks. */
export function edgeResult(i: ResultInput): EdgeResult & { noLoss: boolean } & Record<string, unknown> {
  const verified = verifyCounts([...i.counts]);
  /** Mean events/s over the rounds of one system and mode. */
  const eps = (system: System, mode: Mode) => {
    const xs = i.runs.filter((r) => r.system === system && r.mode === mode && r.phase === 'main');
    return xs.length ? xs.reduce((sum, x) => sum + (x.r.ok * x.eventsPerRequest) / x.r.seconds, 0) / xs.length : undefined;
  };
  /** µs of the system's CPU per event over its main rounds, pooled (NaN where its CPU was not read). */
  const cpu = (system: System, mode: Mode) => {
    const xs = i.runs.filter((r) => r.system === system && r.mode === mode && r.phase === 'main');
    const events = xs.reduce((n, x) => n + x.r.ok * x.eventsPerRequest, 0);
    return xs.length && events > 0 ? (xs.reduce((n, x) => n + x.cpuSeconds, 0) * 1e6) / events : undefined;
  };
  const { pairs } = i;
  return {
    bench: 'edge',
    ...i.settings,
    runs: i.runs.map(({ system, name, mode, eventsPerRequest, r, cpuSeconds }) => ({ system, name, mode, ...r, eventsPerSecond: (r.ok * eventsPerRequest) / r.seconds, cpuSeconds })),
    single: { edge: eps('edge', 'single'), peer: eps('peer', 'single'), raw: eps('raw', 'single'), jvm: eps('jvm', 'single'), bunPeer: eps('bunPeer', 'single') },
    batch: { edge: eps('edge', 'batch'), peer: eps('peer', 'batch'), jvm: eps('jvm', 'batch'), bunPeer: eps('bunPeer', 'batch'), producerPerf: i.producerPerf?.recordsPerSec, client: i.client?.eventsPerSecond },
    cpuUsPerEvent: {
      single: { edge: cpu('edge', 'single'), peer: cpu('peer', 'single'), raw: cpu('raw', 'single'), jvm: cpu('jvm', 'single'), bunPeer: cpu('bunPeer', 'single') },
      batch: { edge: cpu('edge', 'batch'), peer: cpu('peer', 'batch'), jvm: cpu('jvm', 'batch'), bunPeer: cpu('bunPeer', 'batch') },
    },
    segment: onOff(pairs.segment),
    segmentEvents: onOff(pairs.segmentEvents),
    ...(pairs.bunPeerSegmentEvents && { bunPeerSegmentEvents: onOff(pairs.bunPeerSegmentEvents) }),
    ...(pairs.bunPeerSingle && pairs.bunPeerBatch && { vsBunPeer: { single: onOff(pairs.bunPeerSingle), batch: onOff(pairs.bunPeerBatch) } }),
    auth: {
      single: onOff(pairs.authSingle),
      batch: onOff(pairs.authBatch),
      rateLimited: meanRefusal(i.refused.rate_limited),
      malformed: meanRefusal(i.refused.malformed_json),
      ...(i.refusalError !== undefined && { refusalError: i.refusalError }),
    },
    tracing: { single: onOff(pairs.tracingSingle), batch: onOff(pairs.tracingBatch) },
    client: i.client ?? { error: i.clientError },
    producerPerf: i.producerPerf ?? { error: i.producerPerfError },
    rss: { edge: i.rss.edge, peer: i.withPeer ? i.rss.peer : undefined, jvm: i.withJvm ? i.rss.jvm : undefined, bunPeer: i.withBunPeer ? i.rss.bunPeer : undefined },
    counts: verified.checks,
    noLoss: verified.ok,
  };
}
