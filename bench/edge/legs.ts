import { topicDelta, type CountInput } from '../report/counts.ts';
import { sampleRss, treeCpuSeconds } from '../lib/proc.ts';
import { wrk, type WrkResult } from '../lib/wrk.ts';
import { alternate, type LegMeasure, type PairResult } from './pairs.ts';
import { SEGMENT_BATCH_PATH } from './segment.ts';
import { SYSTEM_NAMES, type Producing, type System } from './systems.ts';

/** segmentEvents: the events Segment's route makes of its bodies, sent to the edge's own /v1/events (segment.ts). */
export type Mode = 'single' | 'batch' | 'segment' | 'segmentEvents';

export interface Run {
  system: System;
  name: string;
  mode: Mode;
  /** 'main' for the rounds every system runs; else the on/off pair the leg belongs to (pairs.ts). */
  phase: string;
  eventsPerRequest: number;
  r: WrkResult;
  /** CPU seconds (user + system) of the system's processes over the measured run. */
  cpuSeconds: number;
}

export type PeakRss = { peakProcessBytes: number; peakTotalBytes: number };
/** The systems whose peak RSS is kept: the deployed edge (keys on) and the peers. */
export type RssSystem = 'edge' | 'peer' | 'jvm' | 'bunPeer';
const zeroRss = (): PeakRss => ({ peakProcessBytes: 0, peakTotalBytes: 0 });

export interface LegRunnerOptions {
  ports: Record<System, number>;
  pids: Partial<Record<System, number>>;
  topics: Record<Producing, string>;
  /** The topics' high watermarks once deliveries in flight have landed (topics.ts). */
  settled: (topic: string) => Promise<bigint[]>;
  bodies: Record<Mode, string>;
  headers: Record<string, string>;
  connections: { single: number; batch: number };
  threads: number;
  seconds: number;
  warmup: number;
  rounds: number;
  /** On/off pairs: 2 × pairBlocks legs of pairSeconds each, a 1 s warm-up before each. */
  pairBlocks: number;
  pairSeconds: number;
  /** The run's id, left out of the count rows' topic names. */
  id: string;
  log: (line: string) => void;
}

/**
 * The wrk runs of bench:edge: `go` runs one system and mode (warm-up, then measured), `pair` runs an on/off pair in
 * ABBA legs. Both record every run, the count checks of the topics and the peak RSS of the edge and the peers.
 */
export function createLegRunner(o: LegRunnerOptions) {
  const runs: Run[] = [];
  const counts: CountInput[] = [];
  const rss: Record<RssSystem, PeakRss> = { edge: zeroRss(), peer: zeroRss(), jvm: zeroRss(), bunPeer: zeroRss() };
  const loadOf = (system: System, mode: Mode) => {
    const path = mode === 'segment' ? SEGMENT_BATCH_PATH : '/v1/events';
    return { url: `http://127.0.0.1:${o.ports[system]}${path}`, body: o.bodies[mode], headers: o.headers, connections: o.connections[mode === 'single' ? 'single' : 'batch'], threads: o.threads };
  };

  async function go(system: System, mode: Mode, { round = 0, phase = 'main', secs = o.seconds, warm = o.warmup } = {}): Promise<LegMeasure> {
    const eventsPerRequest = mode === 'single' ? 1 : 100;
    const what = { single: 'single event', batch: '100-event batch', segment: `Segment ${SEGMENT_BATCH_PATH}, 100 events`, segmentEvents: "100 of Segment's events on /v1/events" }[mode];
    const when = phase !== 'main' ? ` (${phase}, leg ${round + 1})` : o.rounds > 1 && (mode !== 'batch' || system !== 'peer') ? ` (round ${round + 1})` : '';
    const name = `${SYSTEM_NAMES[system]}, ${what}${when}`;
    o.log(`  ${name}: warm-up ${warm} s, then ${secs} s ...`);
    const load = loadOf(system, mode);
    await wrk({ ...load, seconds: warm });
    // A pair checks its topics once around all its legs; a settle between legs would only add idle time to each.
    const topic = system === 'raw' || phase !== 'main' ? undefined : o.topics[system];
    const before = topic ? await o.settled(topic) : undefined;
    const pid = o.pids[system];
    const rssOf = system in rss ? (system as RssSystem) : undefined;
    const stopRss = rssOf && pid !== undefined ? sampleRss(pid) : undefined;
    const cpuBefore = pid !== undefined ? treeCpuSeconds(pid) : Number.NaN;
    const r = await wrk({ ...load, seconds: secs });
    const cpuSeconds = pid !== undefined ? treeCpuSeconds(pid) - cpuBefore : Number.NaN;
    if (stopRss && rssOf) {
      const s = stopRss();
      rss[rssOf].peakProcessBytes = Math.max(rss[rssOf].peakProcessBytes, s.peakProcessBytes);
      rss[rssOf].peakTotalBytes = Math.max(rss[rssOf].peakTotalBytes, s.peakTotalBytes);
    }
    runs.push({ system, name, mode, phase, eventsPerRequest, r, cpuSeconds });
    const events = r.ok * eventsPerRequest;
    const eventsPerSecond = events / r.seconds;
    o.log(`    ${eventsPerSecond.toFixed(0)} events/s, p99 ${r.p99Ms.toFixed(1)} ms, ${((cpuSeconds * 1e6) / events).toFixed(1)} µs CPU/event, ${r.non2xx + r.socketErrors} errors`);
    if (topic && before) counts.push({ name, acked: events, inTopic: topicDelta(before, await o.settled(topic)) });
    return { eventsPerSecond, cpuSeconds, events };
  }

  async function pair(phase: string, a: [Producing, Mode], b: [Producing, Mode]): Promise<PairResult> {
    const legTopics = [...new Set([o.topics[a[0]], o.topics[b[0]]])];
    // A full warm-up of each side first: a leg's own 1 s is for the switch between sides, too short to warm a process
    // the main rounds never sent this load (the edge with AUTH=off, the tracing edge, Segment bodies).
    for (const [system, mode] of [a, b]) await wrk({ ...loadOf(system, mode), seconds: o.warmup });
    const before = await Promise.all(legTopics.map(o.settled));
    const from = runs.length;
    const result = await alternate({ a, b, blocks: o.pairBlocks, run: ([system, mode], round) => go(system, mode, { round, phase, secs: o.pairSeconds, warm: 1 }) });
    const legs = runs.slice(from);
    for (const [i, topic] of legTopics.entries()) {
      const acked = legs.filter((x) => o.topics[x.system as Producing] === topic).reduce((n, x) => n + x.r.ok * x.eventsPerRequest, 0);
      counts.push({ name: `${phase}: all legs on ${topic.replace(`-${o.id}`, '')}`, acked, inTopic: topicDelta(before[i]!, await o.settled(topic)) });
    }
    const cpu = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} µs` : 'n/a');
    o.log(`    ${phase}: CPU per event ${cpu(result.cpuUsPerEvent.a)} against ${cpu(result.cpuUsPerEvent.b)}`);
    return result;
  }

  return { go, pair, runs, counts, rss, loadOf };
}
