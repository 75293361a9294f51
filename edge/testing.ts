/**
 * Test helpers for edge: a unique topic on a real broker, the real app over a real Kafka publisher, small HTTP helpers
 * for `app.request()`, and reading a topic back completely (up to its high watermarks) with the project's consumer.
 */
import type { AuthConfig } from '../shared/auth/config.ts';
import { authFixture, type AuthFixture } from '../shared/auth/testing.ts';
import { decodeEvent, type StampedEvent } from '../shared/contracts/index.ts';
import { createAdmin, createConsumer, type Admin, type ConsumedMessage } from '../shared/kafka/index.ts';
import { BROKERS } from '../shared/kafka/testing.ts';
import { createTestKey, type TestKey } from '../shared/testing/keys.ts';
import { createTopic } from '../shared/testing/topics.ts';
import { waitFor } from '../shared/testing/wait.ts';
import { openGuard } from './access.ts';
import { createAdminApp, createApp } from './app.ts';
import { edgeConfig } from './config.ts';
import type { Limits } from './ingest.ts';
import { createKafkaPublisher, type KafkaPublisherOptions } from './kafka-publisher.ts';
import { keyGuard } from './keys.ts';
import { createLossRecorder } from './losses.ts';
import { createEdgeMetrics, type EdgeMetrics } from './metrics.ts';
import type { Publisher } from './publisher.ts';
import type { Receipt } from './receipt.ts';
import { loadConfig } from '../shared/config/index.ts';

export { BROKERS, createTestKey, createTopic, waitFor, type TestKey };
export { keyStoreEnv, spawnEdgeServer, type EdgeServerProcess } from './testing-server.ts';

/** The limits a deployment gets by default (edgeConfig defaults, ignoring the environment). */
export const DEFAULT_LIMITS: Limits = (() => {
  const { maxBodyBytes, maxEventBytes, maxEventsPerRequest, retryAfterSeconds } = loadConfig(edgeConfig, {});
  return { maxBodyBytes, maxEventBytes, maxEventsPerRequest, retryAfterSeconds };
})();

/** `edge_test_<what>_<random>`: unique per file and run, so runs can repeat and overlap. */
export function uniqueTopic(what: string): string {
  return `edge_test_${what}_${Date.now().toString(36)}${crypto.randomUUID().slice(0, 8)}`;
}

// The key `post` and `get` send for an app made by edgeFixture, unless the call names its own Authorization header.
const fixtureKeys = new WeakMap<object, string>();

export interface EdgeFixture {
  brokers: string;
  topic: string;
  admin: Admin;
  publisher: Publisher;
  metrics: EdgeMetrics;
  app: ReturnType<typeof createApp>;
  /** The admin port's app: /metrics, /healthz, /readyz. */
  adminApp: ReturnType<typeof createAdminApp>;
  limits: Limits;
  /** The key store (own Postgres schema, Redis prefix and hash key); undefined when the fixture runs with auth off. */
  keys: AuthFixture | undefined;
  /** An unlimited key with the ingest scope that `post(fx.app, ...)` sends by default; undefined with auth off. */
  key: TestKey | undefined;
  /** Closes the publisher, deletes the topic, closes the admin client, drops the key store. */
  close(): Promise<void>;
}

/**
 * A unique topic on a real broker, a real Kafka publisher producing to it, and the app over both. By default the
 * app requires keys, from a key store of the fixture's own, and `post` sends the fixture's ingest key; `auth: 'off'`
 * runs the app without keys (as AUTH=off does).
 */
export async function edgeFixture({
  what,
  brokers = BROKERS,
  limits = {},
  publisher: publisherOptions = {},
  partitions = 3,
  topicConfig,
  draining,
  log,
  auth = 'on',
  authConfig = {},
}: {
  what: string;
  auth?: 'on' | 'off';
  /** Auth settings over the fixture's own (cache TTLs, rate limit lease, what happens when Redis is down...). */
  authConfig?: Partial<AuthConfig>;
  brokers?: string;
  limits?: Partial<Limits>;
  publisher?: Partial<KafkaPublisherOptions>;
  partitions?: number;
  /** Topic configs, e.g. { 'max.message.bytes': '2048' }. */
  topicConfig?: Record<string, string>;
  draining?: () => boolean;
  /** Where lost `?ack=queued` deliveries are logged (stderr by default). */
  log?: (line: string) => void;
}): Promise<EdgeFixture> {
  const topic = uniqueTopic(what);
  const admin = createAdmin({ brokers, timeoutMs: 15_000 });
  await createTopic(admin, topic, partitions, topicConfig);
  const allLimits = { ...DEFAULT_LIMITS, ...limits };
  const metrics = createEdgeMetrics();
  const onLost = createLossRecorder({ metrics, log });
  const publisher = await createKafkaPublisher({ brokers, topic, lingerMs: 1, maxEventBytes: allLimits.maxEventBytes, onLost, ...publisherOptions });
  const keys = auth === 'on' ? await authFixture(what.replace(/[^a-z0-9_]/g, '_').slice(0, 24), authConfig) : undefined;
  const guard = keys ? keyGuard({ sql: keys.sql, redis: keys.redis, auth: keys.config, metrics, retryAfterSeconds: allLimits.retryAfterSeconds }) : openGuard;
  const app = createApp({ publisher, limits: allLimits, metrics, draining, guard });
  const key = keys ? await createTestKey(keys, { name: 'edge-fixture', scopes: 'ingest' }) : undefined;
  if (key) fixtureKeys.set(app, key.authorization);
  let closed = false;
  return {
    brokers,
    topic,
    admin,
    publisher,
    metrics,
    app,
    adminApp: createAdminApp({ publisher, metrics, draining }),
    limits: allLimits,
    keys,
    key,
    async close() {
      if (closed) return;
      closed = true;
      await keys?.close().catch(() => undefined);
      await publisher.close(5000).catch(() => undefined);
      await admin.deleteTopics([topic]).catch(() => undefined);
      await admin.close();
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

type App = { request: (input: string, init?: RequestInit) => Response | Promise<Response> };

/**
 * The request headers: `headers` over the app's fixture key (when it has one). An Authorization of '' in `headers`
 * sends no Authorization header at all.
 */
function withKey(app: App, headers: Record<string, string>): Record<string, string> {
  const own = Object.keys(headers).find((name) => name.toLowerCase() === 'authorization');
  if (own !== undefined) {
    if (headers[own] !== '') return headers;
    const { [own]: _dropped, ...rest } = headers;
    return rest;
  }
  const key = fixtureKeys.get(app);
  return key === undefined ? headers : { authorization: key, ...headers };
}

/**
 * Sends `body` (JSON-encoded unless already a string or bytes) and returns the status, headers and parsed reply. An
 * app from edgeFixture gets the fixture's key unless `headers` carries an Authorization of its own.
 */
export async function post<T = Receipt & ErrorBody>(
  app: App,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const raw: BodyInit = typeof body === 'string' ? body : body instanceof Uint8Array ? new Blob([body as Uint8Array<ArrayBuffer>]) : JSON.stringify(body);
  const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...withKey(app, headers) }, body: raw });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

export async function get(app: App, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await app.request(path, { headers: withKey(app, headers) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The error body shape (`{error: {code, message, ...details}}`) loosely typed, for assertions. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

/** The ids of the accepted items of a receipt. */
export function acceptedIds(receipt: Receipt): string[] {
  return receipt.results.flatMap((r) => (r.status === 'accepted' ? [r.id] : []));
}

/** Total messages in `topic` (sum of high minus low watermarks over its partitions). */
export async function topicSize(admin: Admin, topic: string): Promise<number> {
  const md = await admin.metadata({ timeoutMs: 10_000 });
  const t = md.topics.find((x) => x.name === topic);
  if (!t) throw new Error(`topic ${topic} not found`);
  let n = 0n;
  for (const p of t.partitions) {
    const { low, high } = await admin.watermarks(topic, p.id, { timeoutMs: 10_000 });
    n += high - low;
  }
  return Number(n);
}

/** Every message of `topic`, from the beginning, read with the project's consumer up to the current watermarks. */
export async function readTopic(brokers: string, admin: Admin, topic: string, maxWaitMs = 45_000): Promise<ConsumedMessage[]> {
  const expected = await topicSize(admin, topic);
  const out: ConsumedMessage[] = [];
  if (expected === 0) return out;
  const consumer = createConsumer({ brokers, groupId: `edge-test-reader-${crypto.randomUUID()}`, topics: [topic] });
  const deadline = Date.now() + maxWaitMs;
  try {
    while (out.length < expected && Date.now() < deadline) out.push(...(await consumer.poll(1000, 500)));
  } finally {
    await consumer.close();
  }
  if (out.length < expected) throw new Error(`read ${out.length} of ${expected} messages from ${topic}`);
  return out;
}

export interface ReadBack {
  key: string;
  headers: Record<string, string>;
  event: StampedEvent;
}

const text = new TextDecoder();

/** A consumed message as a test wants to see it: key and headers as strings, the body decoded by the contract. */
export function readBack(m: ConsumedMessage): ReadBack {
  const decoded = decodeEvent(m.value ?? new Uint8Array());
  if (!decoded.ok) throw new Error(`message at ${m.topic}[${m.partition}]@${m.offset} does not decode: ${decoded.message}`);
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers) headers[k] = v ? text.decode(v) : '';
  return { key: m.key ? text.decode(m.key) : '', headers, event: decoded.event };
}

/** How many times each event id appears in `messages`. */
export function countById(messages: readonly ConsumedMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const id = readBack(m).event.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
