import { describe, expect, test } from 'bun:test';
import { buildFigures, judge, limitFigure, peerFigure, quantile, ratio, score, summary, TARGETS } from './ratios.ts';

describe('ratio math', () => {
  test('ratio is a / b, undefined for missing, non-finite or non-positive references', () => {
    expect(ratio(50_000, 10_000)).toBe(5);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 3)).toBeUndefined();
    expect(ratio(3, undefined)).toBeUndefined();
    expect(ratio(Number.NaN, 3)).toBeUndefined();
    expect(ratio(3, Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  test('judge: ≥ and ≤ targets, boundaries included; n/a without a value', () => {
    expect(judge(4, { op: '>=', value: 4 })).toBe('met');
    expect(judge(3.99, { op: '>=', value: 4 })).toBe('missed');
    expect(judge(20, { op: '<=', value: 20 })).toBe('met');
    expect(judge(20.1, { op: '<=', value: 20 })).toBe('missed');
    expect(judge(undefined, { op: '<=', value: 20 })).toBe('n/a');
  });

  test('score is ≥ 1 exactly when the target is met, whichever way it points', () => {
    expect(score(8, { op: '>=', value: 4 })).toBe(2);
    expect(score(2, { op: '>=', value: 4 })).toBe(0.5);
    expect(score(10, { op: '<=', value: 20 })).toBe(2);
    expect(score(40, { op: '<=', value: 20 })).toBe(0.5);
    expect(score(undefined, { op: '<=', value: 20 })).toBeUndefined();
  });

  test('peer figure: subject / reference judged against the target', () => {
    const f = peerFigure({ id: 'x', part: 'edge', label: 'l', subject: { name: 'edge', value: 30_000, unit: 'events/s' }, reference: { name: 'peer', value: 6_000, unit: 'events/s' }, target: TARGETS.singleVsPeer });
    expect(f.value).toBe(5);
    expect(f.unit).toBe('×');
    expect(f.status).toBe('met');
    expect(f.score).toBe(1.25);
  });

  test('limit figure: the measured value against the limit; no target means info', () => {
    const f = limitFigure({ id: 'p99', part: 'query', label: 'l', subject: { name: 'p99', value: 25, unit: 'ms' }, target: TARGETS.dashboardP99Ms });
    expect(f).toMatchObject({ value: 25, unit: 'ms', status: 'missed', reference: { name: 'limit', value: 20 } });
    expect(f.score).toBeCloseTo(0.8);
    expect(limitFigure({ id: 'rss', part: 'memory', label: 'l', subject: { name: 'w', value: 90, unit: 'MB' } }).status).toBe('info');
  });

  test('quantile picks the nearest-rank value', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });

  test('buildFigures turns known measurements into the report’s figures and verdicts', () => {
    const figures = buildFigures({
      edge: { single: { edge: 40_000, peer: 8_000, raw: 100_000 }, batch: { edge: 200_000, peer: 50_000, producerPerf: 250_000, client: 250_000 }, segment: { segment: 170_000, edge: 200_000 } },
      kafka: { bun: 500_000, java: 400_000 },
      workers: { eventsPerSec: 9_000, slowestRaw: 10_000, slowestName: 'pg' },
      e2e: { p50Ms: 300, p99Ms: 1_600, rate: 4_500 },
      query: { p50Ms: 4, p99Ms: 12, rawP99Ms: 9, rate: 500 },
      memory: { edgeMb: 120, peerMb: 160, workerMb: 200, gatewayMb: 90 },
    });
    const by = Object.fromEntries(figures.map((f) => [f.id, f]));
    expect(by['edge.single.vsPeer']).toMatchObject({ value: 5, status: 'met' });
    expect(by['edge.single.vsRaw']).toMatchObject({ value: 0.4, status: 'missed' });
    expect(by['edge.batch.vsPeer']).toMatchObject({ value: 4, status: 'met' });
    expect(by['edge.batch.vsProducerPerf']).toMatchObject({ value: 0.8, status: 'missed' });
    expect(by['edge.batch.vsClient']).toMatchObject({ value: 0.8, status: 'met' });
    expect(by['edge.batch.segment']).toMatchObject({ value: 0.85, status: 'met' });
    expect(by['edge.batch.vsKafka']).toMatchObject({ value: 0.4, status: 'missed', target: { op: '>=', value: 0.7 } });
    expect(by['kafka.edgeRecords.vsKafka']).toMatchObject({ value: 0.5, status: 'info' });
    expect(by['kafka.client.vsJava']).toMatchObject({ value: 1.25, status: 'met' });
    expect(by['workers.vsSlowestStore']).toMatchObject({ value: 0.9, status: 'met' });
    expect(by['e2e.p99']).toMatchObject({ value: 1_600, status: 'missed' });
    expect(by['query.dashboard.p99']).toMatchObject({ value: 12, status: 'met', reference: { name: 'raw _msearch p99', value: 9 } });
    expect(by['memory.edge']).toMatchObject({ value: 120, status: 'met', reference: { value: 160 } });
    expect(by['memory.worker']!.status).toBe('info');
    expect(summary(figures)).toEqual({ met: 8, missed: 4, na: 0 });
  });

  test('tracing cost: tracing 1% / off rows for single events and batches, held to 0.95x', () => {
    const figures = buildFigures({ edge: { single: {}, batch: {}, tracing: { singleOn: 29_000, singleOff: 30_000, batchOn: 180_000, batchOff: 200_000 } } });
    const by = Object.fromEntries(figures.map((f) => [f.label, f]));
    expect(by['Single events: tracing 1% / off']).toMatchObject({ status: 'met', target: { op: '>=', value: 0.95 } });
    expect(by['Batches of 100: tracing 1% / off']).toMatchObject({ value: 0.9, status: 'missed' });
  });

  test('keys cost: auth on / auth off rows for single events and batches, and 429 against 400 CPU per request', () => {
    const figures = buildFigures({
      edge: { single: {}, batch: {}, auth: { singleOn: 28_500, singleOff: 30_000, batchOn: 180_000, batchOff: 200_000, rateLimitedCpuUs: 12, malformedCpuUs: 10 } },
    });
    const by = Object.fromEntries(figures.map((f) => [f.label, f]));
    expect(by['Single events: auth on / auth off']).toMatchObject({ value: 0.95, status: 'met', target: { op: '>=', value: 0.95 } });
    expect(by['Batches of 100: auth on / auth off']).toMatchObject({ value: 0.9, status: 'missed' });
    expect(by['429 rate_limited / 400 CPU per request']).toMatchObject({ value: 1.2, status: 'missed', target: { op: '<=', value: 1 } });
    expect(by['429 rate_limited / 400 CPU per request']!.subject).toEqual({ name: '429 rate_limited', value: 12, unit: 'µs CPU/request' });
    const cheap = buildFigures({ edge: { single: {}, batch: {}, auth: { rateLimitedCpuUs: 9, malformedCpuUs: 10 } } });
    expect(cheap.find((f) => f.id === 'edge.auth.refusalCpu')).toMatchObject({ value: 0.9, status: 'met' });
    expect(cheap.find((f) => f.id === 'edge.auth.single')!.status).toBe('n/a');
  });

  test('edge CPU per event beside each pair: on / off held to 1.05x for keys and tracing, Segment / edge to 1.25x, none counted among the targets', () => {
    const figures = buildFigures({
      edge: {
        single: {},
        batch: {},
        auth: { singleOn: 30_000, singleOff: 30_000, singleCpuOn: 42, singleCpuOff: 40, batchOn: 200_000, batchOff: 200_000, batchCpuOn: 8.8, batchCpuOff: 8 },
        tracing: { singleOn: 30_000, singleOff: 30_000, singleCpuOn: 40, singleCpuOff: 40, batchCpuOn: 9, batchCpuOff: 8 },
        segment: { segment: 170_000, edge: 200_000, segmentCpuUs: 12, edgeCpuUs: 10 },
      },
    });
    const by = Object.fromEntries(figures.map((f) => [f.label, f]));
    expect(by['Single events: auth on / auth off, edge CPU per event']).toMatchObject({ value: 1.05, status: 'met', target: { op: '<=', value: 1.05 }, unit: '×', supporting: true });
    expect(by['Single events: auth on / auth off, edge CPU per event']!.subject).toEqual({ name: 'auth on', value: 42, unit: 'µs CPU/event' });
    expect(by['Single events: auth on / auth off, edge CPU per event']!.reference).toEqual({ name: 'AUTH=off', value: 40, unit: 'µs CPU/event' });
    expect(by['Batches of 100: auth on / auth off, edge CPU per event']).toMatchObject({ value: 1.1, status: 'missed' });
    expect(by['Single events: tracing 1% / off, edge CPU per event']).toMatchObject({ value: 1, status: 'met', target: { op: '<=', value: 1.05 } });
    expect(by['Batches of 100: tracing 1% / off, edge CPU per event']).toMatchObject({ value: 1.125, status: 'missed' });
    expect(by['Batches of 100: Segment /v1/batch / edge /v1/events, edge CPU per event']).toMatchObject({ value: 1.2, status: 'met', target: { op: '<=', value: 1.25 } });
    expect(by['Batches of 100: Segment /v1/batch / edge /v1/events, edge CPU per event']!.note).toContain('pooled');
    // Each CPU row sits right below the throughput row it supports.
    const labels = figures.map((f) => f.label);
    expect(labels.indexOf('Batches of 100: auth on / auth off, edge CPU per event')).toBe(labels.indexOf('Batches of 100: auth on / auth off') + 1);
    expect(labels.indexOf('Single events: tracing 1% / off, edge CPU per event')).toBe(labels.indexOf('Single events: tracing 1% / off') + 1);
    // Two CPU rows miss, yet the summary counts the throughput rows alone, and none of those misses.
    expect(summary(figures)).toEqual(summary(figures.filter((f) => !f.supporting)));
    expect(summary(figures).missed).toBe(0);
  });

  test('a pair whose CPU was not measured leaves its CPU row n/a and the throughput row as it was', () => {
    const figures = buildFigures({ edge: { single: {}, batch: {}, auth: { singleOn: 28_500, singleOff: 30_000 } } });
    expect(figures.find((f) => f.id === 'edge.auth.single.cpu')).toMatchObject({ status: 'n/a', supporting: true });
    expect(figures.find((f) => f.id === 'edge.auth.single')).toMatchObject({ value: 0.95, status: 'met' });
    expect(figures.find((f) => f.id === 'edge.auth.single')!.supporting).toBeUndefined();
  });

  test('audit speed: the audit at half a plain read of the same records is met, below it missed', () => {
    const row = (auditEventsPerSec: number) => buildFigures({ audit: { auditEventsPerSec, consumeEventsPerSec: 80_000 } }).find((f) => f.label === 'Audit: read rate / consume rate');
    expect(row(40_000)).toMatchObject({ value: 0.5, status: 'met', target: { op: '>=', value: 0.5 }, part: 'audit' });
    expect(row(13_000)).toMatchObject({ status: 'missed' });
    expect(buildFigures({ audit: {} })[0]).toMatchObject({ status: 'n/a' });
  });

  test('a part that did not run gives n/a figures, not errors', () => {
    const figures = buildFigures({ edge: { single: { edge: 40_000 }, batch: {} } });
    expect(figures.every((f) => f.id.startsWith('edge') && (f.status === 'n/a' || f.value === undefined))).toBe(true);
    expect(summary(figures).na).toBe(6);
  });

  test('JVM peer rows: the edge at 1.25x the JVM peer for single events and batches, and at most 0.75x its RSS', () => {
    const rows = (jvm: { single?: number; batch?: number; edgeMb?: number; jvmMb?: number }) =>
      Object.fromEntries(
        buildFigures({ edge: { single: { edge: 50_000, jvm: jvm.single }, batch: { edge: 250_000, jvm: jvm.batch }, rss: { edgeMb: jvm.edgeMb, jvmMb: jvm.jvmMb } } }).map((f) => [f.label, f]),
      );
    const met = rows({ single: 40_000, batch: 200_000, edgeMb: 90, jvmMb: 120 });
    expect(met['Single events: edge / JVM peer']).toMatchObject({ value: 1.25, status: 'met', target: { op: '>=', value: 1.25 }, reference: { name: 'JVM peer', value: 40_000, unit: 'events/s' } });
    expect(met['Batches of 100: edge / JVM peer']).toMatchObject({ value: 1.25, status: 'met' });
    expect(met['Edge RSS / JVM peer RSS']).toMatchObject({ value: 0.75, unit: '×', status: 'met', target: { op: '<=', value: 0.75 }, subject: { value: 90, unit: 'MB' } });
    const missed = rows({ single: 45_000, batch: 250_000, edgeMb: 100, jvmMb: 120 });
    expect(missed['Single events: edge / JVM peer']!.status).toBe('missed');
    expect(missed['Batches of 100: edge / JVM peer']).toMatchObject({ value: 1, status: 'missed' });
    expect(missed['Edge RSS / JVM peer RSS']!.status).toBe('missed');
    expect(rows({ single: 40_000 })['Edge RSS / JVM peer RSS']!.status).toBe('n/a');
  });

  test('JVM peer CPU rows: the edge may spend at most 0.8x the JVM peer\'s CPU per event; shown as supporting rows', () => {
    const cpuRows = (edge: number, jvm: number) =>
      buildFigures({ edge: { single: { edge: 50_000, jvm: 40_000 }, batch: { edge: 250_000, jvm: 200_000 }, cpu: { single: { edge, jvm }, batch: { edge: edge / 5, jvm: jvm / 5 } } } }).filter((f) => f.id.endsWith('vsJvm.cpu'));
    expect(cpuRows(40, 50).map((f) => [f.label, f.value, f.status, f.supporting])).toEqual([
      ['Single events: edge / JVM peer, server CPU per event', 0.8, 'met', true],
      ['Batches of 100: edge / JVM peer, server CPU per event', 0.8, 'met', true],
    ]);
    expect(cpuRows(45, 50).map((f) => f.status)).toEqual(['missed', 'missed']);
    expect(summary(buildFigures({ edge: { single: { edge: 50_000, jvm: 40_000 }, batch: {}, cpu: { single: { edge: 45, jvm: 50 }, batch: {} } } }))).toEqual(summary(buildFigures({ edge: { single: { edge: 50_000, jvm: 40_000 }, batch: {} } })));
  });

  test('without the JVM peer (--no-jvm) its rows are left out of the report', () => {
    const figures = buildFigures({ edge: { single: { edge: 50_000, peer: 10_000 }, batch: { edge: 250_000 } } });
    expect(figures.some((f) => f.label.includes('JVM peer'))).toBe(false);
  });

  test('Bun peer rows: the Bun peer against the JVM peer and the edge against the Bun peer are reported without a target or a verdict', () => {
    const figures = buildFigures({
      edge: {
        single: { edge: 50_000, jvm: 40_000, bunPeer: 60_000, raw: 80_000 },
        batch: { edge: 200_000, jvm: 250_000, bunPeer: 300_000, client: 400_000 },
        cpu: { single: { edge: 40, jvm: 50, bunPeer: 30 }, batch: { edge: 8, jvm: 8, bunPeer: 6 } },
        rss: { edgeMb: 300, jvmMb: 300, bunPeerMb: 150 },
      },
    });
    const row = Object.fromEntries(figures.map((f) => [f.label, f]));
    expect(row['Single events: Bun peer / JVM peer']).toMatchObject({ value: 1.5, status: 'info', target: undefined, subject: { name: 'Bun peer', value: 60_000 } });
    expect(row['Batches of 100: Bun peer / JVM peer']).toMatchObject({ value: 1.2, status: 'info' });
    expect(row['Single events: edge / Bun peer']!.value).toBeCloseTo(0.833, 3);
    expect(row['Batches of 100: edge / Bun peer']!.value).toBeCloseTo(0.667, 3);
    expect(row['Single events: Bun peer / JVM peer, server CPU per event']).toMatchObject({ value: 0.6, status: 'info', supporting: true });
    expect(row['Bun peer RSS / JVM peer RSS']).toMatchObject({ value: 0.5, status: 'info', subject: { value: 150, unit: 'MB' } });
    // The ceilings against the edge's other two targets: raw Bun.serve for single events, the bare client for batches.
    expect(row['Single events: Bun peer / raw Bun.serve']).toMatchObject({ value: 0.75, status: 'info', target: undefined });
    expect(row["Batches of 100: Bun peer / Kafka client alone, edge's records"]).toMatchObject({ value: 0.75, status: 'info', target: undefined });
    const withoutBunPeer = buildFigures({
      edge: { single: { edge: 50_000, jvm: 40_000, raw: 80_000 }, batch: { edge: 200_000, jvm: 250_000, client: 400_000 }, cpu: { single: { edge: 40, jvm: 50 }, batch: { edge: 8, jvm: 8 } }, rss: { edgeMb: 300, jvmMb: 300 } },
    });
    expect(summary(figures)).toEqual(summary(withoutBunPeer));
    expect(withoutBunPeer.some((f) => f.label.includes('Bun peer'))).toBe(false);
  });

  test("Segment's records on the edge's own route and through the Bun peer are reported beside the Segment row without a target, and left out when not measured", () => {
    const figures = buildFigures({
      edge: {
        single: { bunPeer: 60_000 },
        batch: { bunPeer: 300_000 },
        segment: { segment: 160_000, edge: 200_000 },
        segmentEvents: { segment: 120_000, own: 200_000, segmentCpuUs: 10, ownCpuUs: 6 },
        bunPeerSegmentEvents: { segment: 195_000, own: 300_000, segmentCpuUs: 7.5, ownCpuUs: 5 },
      },
    });
    const by = Object.fromEntries(figures.map((f) => [f.id, f]));
    expect(by['edge.batch.segmentRecords']).toMatchObject({ value: 0.6, status: 'info', target: undefined, subject: { name: "Segment's records", value: 120_000 } });
    expect(by['edge.batch.segmentRecords.cpu']!.value).toBeCloseTo(1.667, 3);
    expect(by['edge.batch.bunPeer.segmentRecords']).toMatchObject({ value: 0.65, status: 'info', target: undefined });
    expect(by['edge.batch.bunPeer.segmentRecords.cpu']).toMatchObject({ value: 1.5, supporting: true });
    expect(by['edge.batch.segment']).toMatchObject({ value: 0.8, status: 'met' });
    const without = buildFigures({ edge: { single: {}, batch: {}, segment: { segment: 160_000, edge: 200_000 } } });
    expect(without.some((f) => f.id.includes('segmentRecords'))).toBe(false);
    expect(summary(figures)).toEqual(summary(without));
  });

  test('Segment row: Segment /v1/batch over the edge\'s own batches, met from 0.8× and missed below', () => {
    const row = (segment: number | undefined) => buildFigures({ edge: { single: {}, batch: {}, segment: { segment, edge: 200_000 } } }).find((f) => f.id === 'edge.batch.segment')!;
    expect(row(160_000)).toMatchObject({ label: 'Batches of 100: Segment /v1/batch / edge /v1/events', value: 0.8, status: 'met', target: { op: '>=', value: 0.8 } });
    expect(row(150_000)).toMatchObject({ value: 0.75, status: 'missed' });
    expect(row(160_000).subject).toEqual({ name: 'Segment /v1/batch', value: 160_000, unit: 'events/s' });
    expect(row(160_000).reference).toEqual({ name: 'edge /v1/events', value: 200_000, unit: 'events/s' });
    expect(row(undefined).status).toBe('n/a');
  });
});
