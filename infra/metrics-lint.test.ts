import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { metricFamilies, startScrapedPlatform, type ScrapedPlatform } from './metrics-scrape.ts';
import { checkMetrics, ensurePromtool, PROMTOOL_INSTALL } from './promtool.ts';

// Every exposition the platform produces, read by Prometheus' own linter: what promtool flags (a parse error, a
// counter without _total, a missing HELP, a non-base unit) is what a Prometheus server or node_exporter would refuse
// or store under a surprising name.
const promtool = await ensurePromtool();
if (!promtool) console.warn(`promtool not found and not root: skipping the metrics lint. Install it: ${PROMTOOL_INSTALL}`);

describe.skipIf(!promtool)('promtool check metrics', () => {
  let platform: ScrapedPlatform;
  beforeAll(async () => {
    platform = await startScrapedPlatform({ what: 'metrics-lint', ports: { edge: 18480, edgeAdmin: 18490, workers: 19870, query: 14400 } });
  }, 150_000);
  afterAll(async () => platform?.stop(), 60_000);

  test('the edge, the workers, the gateway and every supervisor status file are scraped', () => {
    const sources = platform.expositions.map((e) => e.source);
    expect(sources.filter((s) => s.endsWith('/metrics'))).toHaveLength(5);
    expect(sources.filter((s) => s.endsWith('.prom')).map((s) => s.split('/').at(-1))).toEqual(expect.arrayContaining(['platform.prom', 'edge.prom', 'workers.prom']));
  });

  test('the scrapes carry labelled series from the traffic, including the error paths', () => {
    const all = platform.expositions.map((e) => e.text).join('\n');
    expect(all).toMatch(/^edge_events_total\{outcome="accepted",code="[a-z_]+"\} [1-9]/m);
    expect(all).toMatch(/^edge_events_total\{outcome="rejected",code="[a-z_]+"\} [1-9]/m);
    expect(all).toMatch(/^edge_auth_refusals_total\{code="invalid_credentials"\} 1$/m);
    expect(all).toMatch(/^edge_produce_latency_seconds_bucket\{ack="[a-z]+",le="\+Inf"\} [1-9]/m);
    expect(all).toMatch(/^workers_sink_latency_seconds_count\{sink="redis"\} [1-9]/m);
    expect(all).toMatch(/^query_graphql_operations_total\{operation="query",outcome="ok"\} [1-9]/m);
  });

  test('promtool finds no error and no lint warning in any exposition', async () => {
    const problems: string[] = [];
    for (const { source, text } of platform.expositions) {
      expect(metricFamilies(text).size).toBeGreaterThan(0);
      const result = await checkMetrics(promtool!, text);
      if (result.code !== 0 || result.problems) problems.push(`${source} (exit ${result.code}):\n${result.problems}`);
    }
    expect(problems).toEqual([]);
  });

  test('promtool itself flags a counter without _total, a missing HELP and a non-base unit', async () => {
    const bad = '# TYPE edge_requests counter\nedge_requests 1\n# HELP edge_wait_milliseconds Wait.\n# TYPE edge_wait_milliseconds gauge\nedge_wait_milliseconds 3\n';
    const result = await checkMetrics(promtool!, bad);
    expect(result.code).not.toBe(0);
    expect(result.problems).toContain('edge_requests no help text');
    expect(result.problems).toContain('counter metrics should have "_total" suffix');
    expect(result.problems).toContain('use base unit "seconds" instead of "milliseconds"');
  });
});
