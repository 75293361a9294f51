import * as v from 'valibot';
import { defineConfig, port, positiveInt, setting } from '../shared/config/index.ts';
import { EVENT_PRODUCER_DEFAULTS as PRODUCER } from '../shared/contracts/record.ts';

// 0 is allowed so tests (and several edges started by hand) can ask the OS for a free admin port.
const listenPort = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(0), v.maxValue(65535));

export const edgeConfig = defineConfig('edge', 'EDGE', {
  port: setting(port, 8080, 'HTTP port; every edge process binds it with SO_REUSEPORT.'),
  hostname: setting(
    v.string(),
    '',
    'Interface to listen on. Empty: 0.0.0.0 while AUTH is on, 127.0.0.1 while AUTH=off (a non-loopback address with AUTH=off stops the edge at start).',
  ),
  adminPort: setting(
    listenPort,
    9480,
    'Loopback-only port (127.0.0.1) for /metrics, /healthz and /readyz; edge process i of EDGE_PROCESSES listens on this + i, so each process is scraped on its own. 0 picks a free port per process (printed at start).',
  ),
  processes: setting(v.pipe(v.number(), v.integer(), v.minValue(0)), 0, 'Edge processes on this machine; 0 means one per core.'),
  heapRamMb: setting(
    v.pipe(v.number(), v.integer(), v.minValue(0)),
    8192,
    "With EDGE_PROCESSES above 1: the RAM size in MiB each serving process's JavaScript engine sizes its heap by (BUN_JSC_forceRAMSize; one already set in the environment wins); 0: the host's. JavaScriptCore lets the heap grow further before collecting on hosts with 16 GB or more; what that costs in RSS: docs/ingestion.md.",
  ),
  topic: setting(v.pipe(v.string(), v.minLength(1)), 'events', 'Kafka topic events are produced to.'),
  maxEventBytes: setting(positiveInt, PRODUCER.maxEventBytes, 'Largest single event, as JSON, in bytes; larger ones are rejected with 413/event_too_large.'),
  maxBodyBytes: setting(positiveInt, 10_485_760, 'Largest request body in bytes, after gzip decoding (413/body_too_large).'),
  maxEventsPerRequest: setting(positiveInt, 10_000, 'Most events in one request (413/too_many_events).'),
  deliveryTimeoutMs: setting(positiveInt, PRODUCER.deliveryTimeoutMs, 'How long the producer keeps trying to deliver an event before it is reported failed (message.timeout.ms).'),
  queueMaxMessages: setting(positiveInt, PRODUCER.queueMaxMessages, 'Producer queue bound per process; past it requests get 503 with Retry-After (queue.buffering.max.messages).'),
  lingerMs: setting(v.pipe(v.number(), v.minValue(0)), PRODUCER.lingerMs, "How long the producer waits to fill a batch (linger.ms); 5 ms is librdkafka's and Kafka's own producer default. Each request waits for its acknowledgement, but a longer linger means fewer, larger produce requests: against 2 ms, one edge (two processes) and the broker on the same host spent 12% and 35% less CPU per single event, and 6-13% and 40% less per batched event, so more events went through at the same or lower latency under load. Lower it only when an idle edge's acknowledgement latency matters more than CPU per event."),
  compression: setting(v.picklist(['none', 'lz4', 'zstd', 'gzip', 'snappy']), 'lz4', 'Kafka batch compression (compression.type).'),
  retryAfterSeconds: setting(positiveInt, 1, 'Retry-After sent with 503 answers.'),
  shutdownGraceMs: setting(positiveInt, 20_000, 'On SIGTERM: how long in-flight requests and deliveries may take before exit.'),
  statusFile: setting(
    v.string(),
    '',
    'With EDGE_PROCESSES above 1: where the supervising process writes its processes\' status as JSON (pid, state, restarts, last exit) on every change, with edge_process_restarts_total beside it as <file>.prom; empty: nowhere. `npm start` sets <STACK_HOME>/run/processes/edge.json.',
  ),
});

export type EdgeConfig = v.InferOutput<typeof edgeConfig.schema>;
