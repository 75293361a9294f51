import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { metricFamilies, startScrapedPlatform, type ScrapedPlatform } from './metrics-scrape.ts';
import { checkConfig, ensurePromtool, PROMTOOL_INSTALL } from './promtool.ts';
import { ROOT } from './stack.ts';

// docs/prometheus.yml and docs/grafana-dashboard.json are what operators load as they are: a metric renamed in code
// and not in the dashboard would leave an empty panel, so every name its PromQL uses must be exposed by the platform.
interface Dashboard {
  readonly panels: ReadonlyArray<{ readonly title: string; readonly targets: ReadonlyArray<{ readonly expr: string }> }>;
}
const promtool = await ensurePromtool();
if (!promtool) console.warn(`promtool not found and not root: the scrape config is not checked. Install it: ${PROMTOOL_INSTALL}`);
const dashboard = (await Bun.file(join(ROOT, 'docs/grafana-dashboard.json')).json()) as Dashboard;

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** The metric names a PromQL expression reads: identifiers that are not functions, aggregations, keywords or labels. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)].filter((m) => !m[2] && !KEYWORDS.has(m[1]!)).map((m) => m[1]!);
}

describe('the PromQL name parser', () => {
  test('keeps metric names and drops functions, aggregations, grouping labels, matchers and ranges', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, sink) (rate(workers_sink_latency_seconds_bucket{sink="redis"}[5m])))')).toEqual(['workers_sink_latency_seconds_bucket']);
    expect(metricNames('max by (partition) (workers_consumer_lag_messages) / on(job) up')).toEqual(['workers_consumer_lag_messages', 'up']);
  });
});

describe('the Grafana dashboard and the Prometheus scrape config', () => {
  let platform: ScrapedPlatform;
  let families: Map<string, string>;
  beforeAll(async () => {
    platform = await startScrapedPlatform({ what: 'observability', ports: { edge: 18580, edgeAdmin: 18590, workers: 19970, query: 14500 } });
    families = new Map(platform.expositions.flatMap((e) => [...metricFamilies(e.text)]));
  }, 150_000);
  afterAll(async () => platform?.stop(), 60_000);

  test('every metric a dashboard panel queries is exposed by the running services', () => {
    const missing: string[] = [];
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        for (const name of metricNames(expr)) {
          const base = name.replace(/_(bucket|sum|count)$/, '');
          const known = families.has(name) || (base !== name && families.get(base) === 'histogram');
          if (!known) missing.push(`${panel.title}: ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test('the dashboard covers ingestion, produce latency, lag, sinks, dead letters, restarts and memory', () => {
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))));
    for (const name of [
      'edge_events_total',
      'edge_produce_latency_seconds_bucket',
      'workers_consumer_lag_messages',
      'workers_sink_latency_seconds_bucket',
      'workers_sink_errors_total',
      'workers_dlq_events_total',
      'platform_process_restarts_total',
      'process_resident_memory_bytes',
    ]) {
      expect(used).toContain(name);
    }
  });

  test.skipIf(!promtool)('promtool accepts docs/prometheus.yml', async () => {
    expect(await checkConfig(promtool!, join(ROOT, 'docs/prometheus.yml'))).toContain('SUCCESS');
  });
});
