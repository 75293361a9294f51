import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.ts';
import { edgeMeasurements, type EdgeOut } from './edge-part.ts';
import { buildFigures } from './ratios.ts';
import { figureValue, formatTarget, formatValue, renderMarkdown, reportStem, writeReport, type Report } from './report.ts';

const report = (): Report => ({
  title: 'Event Lens benchmarks (quick)',
  date: '2026-03-01T10:20:30.000Z',
  machine: { cores: 2, memoryGb: 23.5, cpuModel: 'AMD EPYC', os: 'Debian 12', bun: '1.4.5', node: '20.20.2' },
  commit: { sha: 'abcdef0123456789', short: 'abcdef0', dirty: false },
  command: 'npm run bench -- --quick',
  quick: true,
  seconds: 321,
  figures: buildFigures({
    edge: { single: { edge: 40_000, peer: 8_000, raw: 100_000 }, batch: { edge: 200_000, peer: 50_000, producerPerf: 250_000, client: 400_000 }, segment: { segment: 170_000, edge: 200_000 } },
    query: { p50Ms: 4, p99Ms: 12, rawP99Ms: 9, rate: 500 },
    memory: { edgeMb: 120, peerMb: 160, workerMb: undefined, gatewayMb: 90 },
  }),
  counts: [{ name: 'edge, single event', acked: 1000, inTopic: 1010, missing: 0, extra: 10, ok: true }],
  parts: { edge: { ok: true, seconds: 60 }, workers: { ok: false, seconds: 3, error: 'exited with 1' } },
  notes: ['a note'],
});

describe('report writer', () => {
  test('formats values, ratios and targets', () => {
    expect(formatValue(4.567, '×')).toBe('4.57×');
    expect(formatValue(12.34, '×')).toBe('12.3×');
    expect(formatValue(12345.6, 'events/s')).toBe('12,346 events/s');
    expect(formatValue(12.34, 'ms')).toBe('12.3 ms');
    expect(formatValue(1234.5, 'ms')).toBe('1,235 ms');
    expect(formatValue(12.34, 'µs CPU/request')).toBe('12.3 µs CPU/request');
    expect(formatValue(8.04, 'µs CPU/event')).toBe('8.0 µs CPU/event');
    expect(formatValue(undefined, 'ms')).toBe('n/a');
    expect(formatValue(Number.NaN, '×')).toBe('n/a');
    expect(formatTarget({ op: '>=', value: 4 }, '×')).toBe('≥ 4.00×');
    expect(formatTarget({ op: '<=', value: 20 }, 'ms')).toBe('≤ 20.0 ms');
  });

  test('a missed ratio that two decimals would round onto its target is printed with a third', () => {
    const target = { op: '>=', value: 0.8 } as const;
    expect(figureValue({ value: 0.7992, unit: '×', status: 'missed', target })).toBe('0.799×');
    expect(figureValue({ value: 0.7412, unit: '×', status: 'missed', target })).toBe('0.74×');
    expect(figureValue({ value: 0.8004, unit: '×', status: 'met', target })).toBe('0.80×');
  });

  test('markdown carries date, machine, commit, command, the figures table, counts and notes', () => {
    const md = renderMarkdown(report(), 'latest.svg');
    expect(md).toContain('- date: 2026-03-01T10:20:30.000Z');
    expect(md).toContain('2 cores, 23.5 GB, AMD EPYC');
    expect(md).toContain('- commit: abcdef0');
    expect(md).toContain('`npm run bench -- --quick`');
    expect(md).toContain('| Single events: edge / Node peer | edge 40,000 events/s | Node peer 8,000 events/s | 5.00× | ≥ 4.00× | met |');
    expect(md).toContain('| Single events: edge / raw Bun.serve | edge 40,000 events/s | raw Bun.serve 100,000 req/s | 0.40× | ≥ 0.75× | MISSED |');
    expect(md).toContain('| Dashboard query p99 at 500 req/s | gateway p99 12.0 ms | raw _msearch p99 9.0 ms | 12.0 ms | ≤ 20.0 ms | met |');
    expect(md).toContain('| edge, single event | 1,000 | 1,010 | 0 | ok |');
    expect(md).toContain('- workers did not complete: exited with 1');
    expect(md).toContain('- a note');
    expect(md).toContain('![ratio against target](latest.svg)');
    expect(md).toContain('targets: 5 met, 3 missed\n');
    expect(md).toContain('| Batches of 100: Segment /v1/batch / edge /v1/events | Segment /v1/batch 170,000 events/s | edge /v1/events 200,000 events/s | 0.85× | ≥ 0.80× | met |');
    expect(md).toContain('| Gateway peak RSS | gateway 90 MB | — | 90 MB | — | — |');
  });

  test('a CPU per event row shows both sides and its verdict as supporting, and stays out of the targets count and the chart', () => {
    const r = report();
    r.figures = buildFigures({ edge: { single: {}, batch: {}, tracing: { singleOn: 30_000, singleOff: 30_000, singleCpuOn: 45, singleCpuOff: 40 } } });
    const md = renderMarkdown(r);
    expect(md).toContain('| Single events: tracing 1% / off | tracing 1% 30,000 events/s | tracing off 30,000 events/s | 1.00× | ≥ 0.95× | met |');
    expect(md).toContain('| Single events: tracing 1% / off, edge CPU per event | tracing 1% 45.0 µs CPU/event | tracing off 40.0 µs CPU/event | 1.13× | ≤ 1.05× | missed (supporting) |');
    expect(md).toContain('edge CPU per event: edge CPU (user + system of every serving process');
    expect(md).toContain('- targets: 1 met, 0 missed, 7 not measured\n');
    expect(renderChart(r.figures).match(/<rect x=/g)?.length).toBe(1);
  });

  test("bench:edge's JSON line gives the report each pair's CPU per event, and a side not measured (NaN, null in JSON) gives an n/a row", () => {
    const pair = (on: number, off: number, cpuOn: number, cpuOff: number) => ({ on, off, cpuUsPerEvent: { on: cpuOn, off: cpuOff } });
    const line = {
      single: { edge: 30_000 },
      batch: { edge: 150_000 },
      segment: pair(110_000, 130_000, 10, 8),
      segmentEvents: pair(90_000, 130_000, 11, 8),
      auth: { single: pair(30_000, 31_000, 42, 40), batch: pair(150_000, 150_000, 8, 8), rateLimited: { cpuUsPerRequest: 80 }, malformed: { cpuUsPerRequest: 79 } },
      tracing: { single: pair(29_000, 30_000, 41, 40), batch: pair(145_000, 150_000, Number.NaN, 8) },
      rss: { edge: { peakProcessBytes: 1 } },
      counts: [],
      noLoss: true,
    };
    const edge = edgeMeasurements(JSON.parse(JSON.stringify(line)) as EdgeOut);
    expect(edge.auth).toMatchObject({ singleCpuOn: 42, singleCpuOff: 40, batchCpuOn: 8, batchCpuOff: 8, rateLimitedCpuUs: 80 });
    expect(edge.segment).toEqual({ segment: 110_000, edge: 130_000, segmentCpuUs: 10, edgeCpuUs: 8 });
    expect(edge.segmentEvents).toEqual({ segment: 90_000, own: 130_000, segmentCpuUs: 11, ownCpuUs: 8 });
    expect(edge.bunPeerSegmentEvents).toBeUndefined();
    const by = Object.fromEntries(buildFigures({ edge }).map((f) => [f.id, f]));
    expect(by['edge.batch.segment.cpu']).toMatchObject({ value: 1.25, status: 'met' });
    expect(by['edge.auth.single.cpu']).toMatchObject({ value: 1.05, status: 'met' });
    expect(by['edge.tracing.batch.cpu']).toMatchObject({ value: undefined, status: 'n/a' });
    expect(by['edge.tracing.batch']!.status).toBe('met');
  });

  test('a full run writes <date>-<sha> and latest as md, json and svg; the JSON round-trips without Infinity or NaN', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const r = { ...report(), quick: false };
      expect(reportStem(r)).toBe('2026-03-01-abcdef0');
      writeReport(dir, r, renderChart(r.figures));
      expect(readdirSync(dir).sort()).toEqual(['2026-03-01-abcdef0.json', '2026-03-01-abcdef0.md', '2026-03-01-abcdef0.svg', 'latest.json', 'latest.md', 'latest.svg']);
      const back = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Report;
      expect(back.commit.short).toBe('abcdef0');
      expect(back.figures.find((f) => f.id === 'edge.single.vsPeer')?.value).toBe(5);
      expect(readFileSync(join(dir, '2026-03-01-abcdef0.md'), 'utf8')).toContain('](2026-03-01-abcdef0.svg)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('quick and --only runs write files of their own and leave the full report and latest.* as they were', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const full = { ...report(), quick: false };
      writeReport(dir, full, renderChart(full.figures));
      const latest = readFileSync(join(dir, 'latest.json'), 'utf8');
      const partial = { ...full, only: ['workers', 'e2e'], command: 'npm run bench -- --only workers,e2e', seconds: 76 };
      writeReport(dir, partial, renderChart(partial.figures));
      writeReport(dir, report(), renderChart(report().figures));
      expect(readdirSync(dir).filter((f) => f.endsWith('.json')).sort()).toEqual([
        '2026-03-01-abcdef0-only-workers+e2e.json',
        '2026-03-01-abcdef0-quick.json',
        '2026-03-01-abcdef0.json',
        'latest.json',
      ]);
      expect(readFileSync(join(dir, 'latest.json'), 'utf8')).toBe(latest);
      expect((JSON.parse(readFileSync(join(dir, '2026-03-01-abcdef0.json'), 'utf8')) as Report).seconds).toBe(321);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the chart has one bar per targeted figure, coloured by verdict, and the target line', () => {
    const figures = report().figures;
    const svg = renderChart(figures);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const targeted = figures.filter((f) => f.target && f.status !== 'info' && f.score !== undefined);
    expect(svg.match(/<rect x=/g)?.length).toBe(targeted.length);
    expect(svg).toContain('#2e7d32');
    expect(svg).toContain('#c62828');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toContain('NaN');
    expect(renderChart([])).toContain('</svg>');
  });
});
