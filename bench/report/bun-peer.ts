import { peerFigure, perEvent, rps, type Figure, type OnOffCpu, type SameRecords } from './figure.ts';

/** What these rows read of the edge part's measurements (ratios.ts, Measurements['edge']). */
export interface BunPeerInput {
  single: { edge?: number; raw?: number; jvm?: number; bunPeer?: number };
  batch: { edge?: number; client?: number; jvm?: number; bunPeer?: number };
  cpu?: { single: { jvm?: number; bunPeer?: number }; batch: { jvm?: number; bunPeer?: number } };
  rss?: { jvmMb?: number; bunPeerMb?: number };
  bunPeerSegmentEvents?: SameRecords;
  /** The edge (on) against the Bun peer (off) in ABBA legs. */
  vsBunPeer?: OnOffCpu;
}

/**
 * The Bun peer's rows (bench/peers/bun-bridge), none with a target: what a Bun.serve + shared/kafka bridge doing only
 * the JVM peer's work reaches in the same run, the ceiling against which the edge's JVM, raw Bun.serve and bare-client
 * targets are read, and the edge against it. Empty when the Bun peer did not run.
 */
export function bunPeerFigures(edge: BunPeerInput): Figure[] {
  const s = edge.single;
  const b = edge.batch;
  const pair = edge.vsBunPeer;
  /**
   * The edge against the Bun peer: from their ABBA legs when measured (adjacent legs see the same machine), else
   * from the main rounds; with the legs, each one's CPU per event beside it.
   */
  const vsBunPeer = (mode: 'single' | 'batch'): Figure[] => {
    const label = `${mode === 'single' ? 'Single events' : 'Batches of 100'}: edge / Bun peer`;
    const id = `edge.${mode}.vsBunPeer`;
    const part = mode === 'single' ? 'edge' : 'batch';
    if (!pair) return [peerFigure({ id, part, label, subject: rps('edge', edge[mode].edge), reference: rps('Bun peer', edge[mode].bunPeer), note: "no target: what the edge's own work costs against the Bun peer's minimum, from the main rounds" })];
    const on = mode === 'single' ? { rate: pair.singleOn, cpu: pair.singleCpuOn } : { rate: pair.batchOn, cpu: pair.batchCpuOn };
    const off = mode === 'single' ? { rate: pair.singleOff, cpu: pair.singleCpuOff } : { rate: pair.batchOff, cpu: pair.batchCpuOff };
    return [
      peerFigure({ id, part, label, subject: rps('edge', on.rate), reference: rps('Bun peer', off.rate), note: "no target: what the edge's own work (keys, contract, limits, metrics) costs against the Bun peer's minimum, the two in ABBA legs" }),
      peerFigure({ id: `${id}.cpu`, part, label: `${label}, server CPU per event`, subject: perEvent('edge', on.cpu), reference: perEvent('Bun peer', off.cpu), supporting: true, note: "each one's process tree over its legs, pooled, / events acknowledged" }),
    ];
  };
  if (s.bunPeer === undefined && b.bunPeer === undefined) return [];
  const bunNote = "Bun.serve + shared/kafka, as many processes as the edge, doing only the JVM peer's work (its type/data check, id and receivedAt, key, three headers, receipt after the delivery report; no keys, contract, limits or metrics): the most a Bun bridge reaches here";
  return [
    peerFigure({ id: 'edge.single.bunPeerVsJvm', part: 'edge', label: 'Single events: Bun peer / JVM peer', subject: rps('Bun peer', s.bunPeer), reference: rps('JVM peer', s.jvm), note: `no target: ${bunNote}` }),
    peerFigure({ id: 'edge.single.bunPeerVsJvm.cpu', part: 'edge', label: 'Single events: Bun peer / JVM peer, server CPU per event', subject: perEvent('Bun peer', edge.cpu?.single.bunPeer), reference: perEvent('JVM peer', edge.cpu?.single.jvm), supporting: true, note: 'measured as the edge / JVM peer CPU rows' }),
    peerFigure({ id: 'edge.single.bunPeerVsRaw', part: 'edge', label: 'Single events: Bun peer / raw Bun.serve', subject: rps('Bun peer', s.bunPeer), reference: rps('raw Bun.serve', s.raw, 'req/s'), note: 'no target: the ceiling against which the edge / raw Bun.serve target is read' }),
    ...vsBunPeer('single'),
    peerFigure({ id: 'edge.batch.bunPeerVsJvm', part: 'batch', label: 'Batches of 100: Bun peer / JVM peer', subject: rps('Bun peer', b.bunPeer), reference: rps('JVM peer', b.jvm), note: 'no target: the ceiling, as for single events' }),
    peerFigure({ id: 'edge.batch.bunPeerVsJvm.cpu', part: 'batch', label: 'Batches of 100: Bun peer / JVM peer, server CPU per event', subject: perEvent('Bun peer', edge.cpu?.batch.bunPeer), reference: perEvent('JVM peer', edge.cpu?.batch.jvm), supporting: true, note: 'measured as the edge / JVM peer CPU rows' }),
    peerFigure({ id: 'edge.batch.bunPeerVsClient', part: 'batch', label: "Batches of 100: Bun peer / Kafka client alone, edge's records", subject: rps('Bun peer', b.bunPeer), reference: rps('shared/kafka, edge records', b.client), note: 'no target: the ceiling against which the edge / Kafka client target is read' }),
    peerFigure({ id: 'edge.batch.bunPeer.segmentRecords', part: 'batch', label: "Batches of 100: Bun peer, Segment's records / its own", subject: rps("Segment's records", edge.bunPeerSegmentEvents?.segment), reference: rps('own records', edge.bunPeerSegmentEvents?.own), note: "no target: the same two bodies through the Bun peer, which only checks type and data, stamps and produces: what records of this size cost any Bun bridge against the edge's own, the ceiling against which the Segment row is read" }),
    peerFigure({ id: 'edge.batch.bunPeer.segmentRecords.cpu', part: 'batch', label: "Batches of 100: Bun peer, Segment's records / its own, server CPU per event", subject: perEvent("Segment's records", edge.bunPeerSegmentEvents?.segmentCpuUs), reference: perEvent('own records', edge.bunPeerSegmentEvents?.ownCpuUs), supporting: true, note: 'measured as the edge / JVM peer CPU rows' }),
    ...vsBunPeer('batch'),
    peerFigure({ id: 'memory.bunPeer.vsJvm', part: 'memory', label: 'Bun peer RSS / JVM peer RSS', subject: { name: 'Bun peer', value: edge.rss?.bunPeerMb, unit: 'MB' }, reference: { name: 'JVM peer', value: edge.rss?.jvmMb, unit: 'MB' }, note: "no target: peak RSS of the Bun peer's processes together, measured as the edge's" }),
  ];
}
