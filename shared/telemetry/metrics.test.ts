import { describe, expect, test } from 'bun:test';
import { COARSE_LATENCY_BUCKETS, LATENCY_BUCKETS, logLinearBuckets, Registry } from './metrics.ts';

const linesOf = (registry: Registry, name: string) => registry.render().split('\n').filter((l) => l.startsWith(name));

describe('metrics registry', () => {
  test('counters keep one series per distinct set of label values, however the label object was built', () => {
    const registry = new Registry();
    const requests = registry.counter('edge_requests_total', 'Requests.', ['route', 'status']);
    requests.inc({ route: '/v1/events', status: String(202) });
    requests.inc({ status: '202', route: '/v1/events' }, 2);
    requests.inc({ route: '/v1/events', status: '400' });
    requests.inc({ route: '/orders', status: '202' });
    expect(requests.get({ route: '/v1/events', status: '202' })).toBe(3);
    expect(linesOf(registry, 'edge_requests_total{')).toEqual([
      'edge_requests_total{route="/v1/events",status="202"} 3',
      'edge_requests_total{route="/v1/events",status="400"} 1',
      'edge_requests_total{route="/orders",status="202"} 1',
    ]);
  });

  test('a missing label value and an empty one are the same series', () => {
    const registry = new Registry();
    const events = registry.counter('workers_events_total', 'Events.', ['outcome', 'reason']);
    events.inc({ outcome: 'ok' });
    events.inc({ outcome: 'ok', reason: '' });
    expect(events.get({ outcome: 'ok' })).toBe(2);
  });

  test('metrics without labels render one unlabelled line', () => {
    const registry = new Registry();
    const failures = registry.counter('workers_commit_failures_total', 'Refused commits.');
    failures.inc();
    failures.inc({}, 4);
    registry.gauge('edge_producer_queue_depth_messages', 'Queue depth.').set({}, 7);
    expect(linesOf(registry, 'workers_commit_failures_total ')).toEqual(['workers_commit_failures_total 5']);
    expect(linesOf(registry, 'edge_producer_queue_depth_messages ')).toEqual(['edge_producer_queue_depth_messages 7']);
  });

  test('histograms count each observation into every bucket at or above it, with sum and count per series', () => {
    const registry = new Registry();
    const latency = registry.histogram('edge_produce_latency_seconds', 'Latency.', ['ack'], [0.01, 0.1, 1]);
    latency.observe({ ack: 'kafka' }, 0.005);
    latency.observe({ ack: 'kafka' }, 0.5);
    latency.observe({ ack: 'queued' }, 0.05);
    expect(linesOf(registry, 'edge_produce_latency_seconds')).toEqual([
      'edge_produce_latency_seconds_bucket{ack="kafka",le="0.01"} 1',
      'edge_produce_latency_seconds_bucket{ack="kafka",le="0.1"} 1',
      'edge_produce_latency_seconds_bucket{ack="kafka",le="1"} 2',
      'edge_produce_latency_seconds_bucket{ack="kafka",le="+Inf"} 2',
      'edge_produce_latency_seconds_sum{ack="kafka"} 0.505',
      'edge_produce_latency_seconds_count{ack="kafka"} 2',
      'edge_produce_latency_seconds_bucket{ack="queued",le="0.01"} 0',
      'edge_produce_latency_seconds_bucket{ack="queued",le="0.1"} 1',
      'edge_produce_latency_seconds_bucket{ack="queued",le="1"} 1',
      'edge_produce_latency_seconds_bucket{ack="queued",le="+Inf"} 1',
      'edge_produce_latency_seconds_sum{ack="queued"} 0.05',
      'edge_produce_latency_seconds_count{ack="queued"} 1',
    ]);
  });

  test('a value on a bound counts in that bucket, one above every bound only in +Inf, and the le counts stay cumulative', () => {
    const registry = new Registry();
    const latency = registry.histogram('workers_sink_latency_seconds', 'Latency.', [], [0.001, 0.0015, 0.002, 0.003]);
    for (const v of [0.001, 0.0012, 0.0015, 0.0029, 0.003, 7]) latency.observe({}, v);
    expect(linesOf(registry, 'workers_sink_latency_seconds_bucket')).toEqual([
      'workers_sink_latency_seconds_bucket{le="0.001"} 1',
      'workers_sink_latency_seconds_bucket{le="0.0015"} 3',
      'workers_sink_latency_seconds_bucket{le="0.002"} 3',
      'workers_sink_latency_seconds_bucket{le="0.003"} 5',
      'workers_sink_latency_seconds_bucket{le="+Inf"} 6',
    ]);
  });

  test('a histogram whose bounds do not increase is refused when it is declared', () => {
    expect(() => new Registry().histogram('workers_batch_duration_seconds', 'Batches.', [], [1, 60, 60, 300])).toThrow('bucket bounds must increase');
  });

  test('latency buckets are log-linear: 10 per decade from 1 ms to 60 s, with clean le labels', () => {
    expect(LATENCY_BUCKETS).toHaveLength(47);
    expect(LATENCY_BUCKETS.slice(0, 11)).toEqual([0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01]);
    expect(LATENCY_BUCKETS.slice(-7)).toEqual([10, 15, 20, 30, 40, 50, 60]);
    expect(COARSE_LATENCY_BUCKETS).toEqual([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    expect(logLinearBuckets({ from: 1, to: 1000, mantissas: [1, 5] })).toEqual([1, 5, 10, 50, 100, 500, 1000]);
  });

  test('files for the textfile collector can leave out the process metrics node_exporter has itself', () => {
    const registry = new Registry();
    registry.counter('edge_process_restarts_total', 'Restarts.').inc();
    expect(registry.render()).toContain('process_resident_memory_bytes ');
    expect(registry.render({ processMetrics: false })).not.toContain('process_resident_memory_bytes');
    expect(registry.render({ processMetrics: false })).toContain('edge_process_restarts_total 1');
  });

  test('past 200 series, new label values are counted together as "other" and the output stays bounded', () => {
    const registry = new Registry();
    const byPipeline = registry.counter('workers_pipeline_events_total', 'Pipeline events.', ['pipeline', 'outcome']);
    for (let i = 0; i < 1_000; i++) byPipeline.inc({ pipeline: `p-${i}`, outcome: 'output' });
    byPipeline.inc({ pipeline: 'p-5', outcome: 'output' });
    const lines = linesOf(registry, 'workers_pipeline_events_total{');
    expect(lines).toHaveLength(201);
    expect(lines).toContain('workers_pipeline_events_total{pipeline="other",outcome="other"} 800');
    expect(byPipeline.get({ pipeline: 'p-5', outcome: 'output' })).toBe(2);
  });

  test('label values are escaped in the text format', () => {
    const registry = new Registry();
    registry.counter('query_requests_total', 'Requests.', ['route']).inc({ route: 'a"b\\c\nd' });
    expect(linesOf(registry, 'query_requests_total{')).toEqual(['query_requests_total{route="a\\"b\\\\c\\nd"} 1']);
  });
});
