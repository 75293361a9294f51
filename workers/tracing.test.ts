import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTraceReceiver, type ReceivedSpan, type TraceReceiver } from '../shared/telemetry/tracing-receiver.ts';
import { createIsolatedTopics, isolatedStoresEnv, isolation, isolationId, removeIsolated } from '../shared/testing/isolation.ts';
import { waitFor } from '../shared/testing/wait.ts';
import { createConsumer } from '../shared/kafka/index.ts';
import { connections, runEnv } from './testing.ts';

// The edge and a worker as real processes, exporting to a real OTLP/HTTP receiver (tracing-receiver.ts; the
// OpenTelemetry Collector is not published on npm, Maven Central or Debian, so this Bun.serve plays it).
const ROOT = join(import.meta.dir, '..');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
// The analytics SDKs' routes, each in a trace of its own.
const SDK_TRACES = { '/v1/batch': '5c0a1e6f4d2b8a9c7e3f1d0b2a4c6e8f', '/batch/': '6d1b2f7a5e3c9b0d8f4a2e1c3b5d7f90' } as const;
const run = isolation(isolationId('workers_tracing'));
let receiver: TraceReceiver;
const procs: Array<ReturnType<typeof Bun.spawn>> = [];

/** Starts `script` with `env`; resolves with its output so far once `ready` matches it. */
async function start(script: string, env: Record<string, string>, ready: RegExp): Promise<() => string> {
  const proc = Bun.spawn([process.execPath, script], { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  procs.push(proc);
  let output = '';
  for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => {
      const decoder = new TextDecoder();
      const reader = stream.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) output += decoder.decode(r.value, { stream: true });
    })();
  }
  await waitFor(() => ready.test(output) || proc.exitCode !== null, 30_000, `${script} to start`);
  if (proc.exitCode !== null) throw new Error(`${script} exited (${proc.exitCode}):\n${output}`);
  return () => output;
}

/** Edge and worker of this run; the OTEL_* variables of `otel` on both. */
async function startPair(otel: Record<string, string>): Promise<string> {
  const common = { ...isolatedStoresEnv(run.id), AUTH: 'off', ...otel, OTEL_BSP_SCHEDULE_DELAY: '200' };
  const edgeOut = await start('edge/server.ts', { ...common, EDGE_PORT: String(freePort()), EDGE_ADMIN_PORT: '0', EDGE_PROCESSES: '1', EDGE_HOSTNAME: '127.0.0.1' }, /listening on http/);
  await start('workers/main.ts', { ...runEnv(run, run.topic, common), WORKERS_COUNT: '1' }, /metrics on http/);
  return edgeOut().match(/listening on (http:\/\/[\d.]+:\d+)/)![1]!;
}

/** A port nothing listens on right now (the edge needs a fixed one). */
function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const { port } = probe;
  void probe.stop(true);
  return port!;
}

async function stopAll(): Promise<void> {
  for (const proc of procs.splice(0)) {
    proc.kill('SIGTERM');
    if ((await Promise.race([proc.exited, Bun.sleep(20_000).then(() => 'running')])) === 'running') proc.kill('SIGKILL');
  }
}

beforeAll(async () => {
  receiver = startTraceReceiver();
  await createIsolatedTopics(run.id, 1);
});

afterAll(async () => {
  await stopAll();
  receiver.stop();
  await removeIsolated(run.id);
});

describe('a traced request, from the edge through a worker to an OTLP/HTTP collector', () => {
  let spans: ReceivedSpan[] = [];
  const named = (name: string) => spans.filter((s) => s.name === name);

  beforeAll(async () => {
    const edge = await startPair({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_on' });
    const res = await fetch(`${edge}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01` },
      body: JSON.stringify({ type: 'page.viewed', source: 'web', data: { path: '/traced' } }),
    });
    expect(res.status).toBe(202);
    const sdkBodies = { '/v1/batch': { batch: [{ type: 'track', event: 'Traced', userId: 'u-traced' }] }, '/batch/': { batch: [{ event: 'traced', distinct_id: 'd-traced' }] } };
    for (const [path, traceId] of Object.entries(SDK_TRACES)) {
      const sdk = await fetch(`${edge}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${CLIENT_SPAN}-01` },
        body: JSON.stringify(sdkBodies[path as keyof typeof SDK_TRACES]),
      });
      expect(sdk.status).toBe(200);
    }
    const traces = [TRACE_ID, ...Object.values(SDK_TRACES)];
    await waitFor(() => traces.every((t) => receiver.spans.some((s) => s.traceId === t && s.name === 'commit')), 60_000, 'the spans of the edge and the worker');
    spans = receiver.spans.filter((s) => s.traceId === TRACE_ID);
    await stopAll();
  }, 120_000);

  test('the edge span continues the client trace: same trace id, the client span as parent, route and status recorded', () => {
    const [ingest] = named('ingest');
    expect(named('ingest')).toHaveLength(1);
    expect(ingest!.parentSpanId).toBe(CLIENT_SPAN);
    expect(ingest!.service).toBe('event-lens-edge');
    expect(ingest!.attributes).toMatchObject({ 'http.route': '/v1/events', 'http.response.status_code': 202, 'event_lens.events.accepted': 1 });
  });

  test('the worker continues it: the process span is a child of the edge span', () => {
    const process = named('process');
    expect(process).toHaveLength(1);
    expect(process[0]!.parentSpanId).toBe(named('ingest')[0]!.spanId);
    expect(process[0]!.service).toBe('event-lens-workers');
    expect(process[0]!.attributes['messaging.destination.name']).toBe(run.topic);
  });

  test('decode, each sink and the commit are spans under the process span, all in the same trace', () => {
    const processId = named('process')[0]!.spanId;
    for (const name of ['decode', 'sink elasticsearch', 'sink postgres', 'sink redis', 'commit']) {
      expect({ name, spans: named(name).map((s) => s.parentSpanId) }).toEqual({ name, spans: [processId] });
    }
    const traces: string[] = [TRACE_ID, ...Object.values(SDK_TRACES)];
    expect(receiver.spans.filter((s) => !traces.includes(s.traceId))).toEqual([]);
  });

  test('Segment and PostHog requests are traced the same way: an ingest span of their route, continued by the worker', () => {
    for (const [route, traceId] of Object.entries(SDK_TRACES)) {
      const trace = receiver.spans.filter((s) => s.traceId === traceId);
      const ingest = trace.filter((s) => s.name === 'ingest');
      expect({ route, ingest: ingest.map((s) => [s.parentSpanId, s.attributes['http.route'], s.attributes['http.response.status_code']]) }).toEqual({ route, ingest: [[CLIENT_SPAN, route, 200]] });
      expect({ route, process: trace.filter((s) => s.name === 'process').map((s) => s.parentSpanId) }).toEqual({ route, process: [ingest[0]!.spanId] });
    }
  });
});

describe('with no OTLP endpoint set', () => {
  test('records carry no traceparent header, even for a request that sent one, and nothing is exported', async () => {
    const before = receiver.requests();
    const edge = await startPair({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' });
    const res = await fetch(`${edge}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01` },
      body: JSON.stringify({ type: 'page.viewed', source: 'web', data: { path: '/untraced' } }),
    });
    expect(res.status).toBe(202);
    const consumer = createConsumer({ brokers: connections.kafkaBrokers, groupId: `${run.id}-reader`, topics: [run.topic] });
    const read: Array<{ path: unknown; headers: string[] }> = [];
    try {
      await waitFor(async () => {
        for (const m of await consumer.poll(100, 500)) {
          read.push({ path: (JSON.parse(new TextDecoder().decode(m.value!)) as { data: { path: unknown } }).data.path, headers: m.headers.map(([k]) => k) });
        }
        return read.some((r) => r.path === '/untraced');
      }, 30_000, 'the untraced event in the topic');
    } finally {
      await consumer.close();
    }
    expect(read.find((r) => r.path === '/untraced')!.headers).toEqual(['type', 'source', 'id']);
    expect(read.find((r) => r.path === '/traced')!.headers).toContain('traceparent');
    await stopAll();
    expect(receiver.requests()).toBe(before);
  }, 120_000);
});
