import postgres from 'postgres';
import Redis from 'ioredis';

/** What /healthz and /readyz of one process said. */
export interface Probe {
  /** /healthz answered 200. */
  readonly healthy: boolean;
  readonly ready: boolean;
  /** Why it is not healthy or not ready: its /readyz summary, or what went wrong asking. */
  readonly reason?: string;
}

const message = (error: unknown) => (error instanceof Error ? error.message || error.name : String(error));

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function get(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = (await res.text()).slice(0, 4096);
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

const refused = (error: unknown) => (/ECONNREFUSED|Unable to connect|ConnectionRefused/i.test(message(error)) ? 'nothing listens' : message(error));

/** One line out of a /readyz body of the edge (kafka), the workers (unready sinks, stuck partitions) or the gateway (failing stores). */
export function readinessReason(body: unknown): string {
  if (typeof body !== 'object' || body === null) return String(body).slice(0, 120);
  const b = body as { status?: unknown; kafka?: unknown; failing?: unknown; unready?: unknown; stuck?: unknown };
  const parts = [typeof b.status === 'string' ? b.status : 'not ready'];
  if (typeof b.kafka === 'string') parts.push(`kafka: ${b.kafka}`);
  if (Array.isArray(b.failing) && b.failing.length > 0) parts.push(`failing: ${b.failing.join(', ')}`);
  if (b.unready && typeof b.unready === 'object' && Object.keys(b.unready).length > 0) parts.push(`retrying: ${Object.keys(b.unready).join(', ')}`);
  if (Array.isArray(b.stuck) && b.stuck.length > 0) {
    const where = (b.stuck as Array<{ topic?: string; partition?: number }>).map((s) => `${s.topic ?? '?'}[${s.partition ?? '?'}]`);
    parts.push(`stuck: ${where.join(', ')}`);
  }
  return parts.join('; ').slice(0, 160);
}

/** /healthz and /readyz of `base` in parallel, each bounded by timeoutMs. */
export async function probeHttp(base: string, timeoutMs: number): Promise<Probe> {
  const [health, ready] = await Promise.allSettled([get(`${base}/healthz`, timeoutMs), get(`${base}/readyz`, timeoutMs)]);
  if (health.status === 'rejected') return { healthy: false, ready: false, reason: refused(health.reason) };
  if (health.value.status !== 200) return { healthy: false, ready: false, reason: `/healthz answered ${health.value.status}` };
  if (ready.status === 'rejected') return { healthy: true, ready: false, reason: `/readyz: ${refused(ready.reason)}` };
  if (ready.value.status !== 200) return { healthy: true, ready: false, reason: readinessReason(ready.value.body) };
  return { healthy: true, ready: true };
}

/** True when something accepts TCP connections on host:port within timeoutMs. */
export async function reachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  try {
    const socket = await withTimeout(Bun.connect({ hostname: host, port, socket: { data() {}, error() {} } }), timeoutMs);
    socket.end();
    return true;
  } catch {
    return false;
  }
}

export type StoreProbe = { up: true; detail: string; healthy: boolean } | { up: false; detail: string; healthy: false };

/** Cluster health status and shard counts; a red cluster answers, but is not healthy. */
export async function probeSearch(url: string, timeoutMs: number): Promise<StoreProbe> {
  try {
    const { status, body } = await get(`${url.replace(/\/$/, '')}/_cluster/health`, timeoutMs);
    if (status !== 200 || typeof body !== 'object' || body === null) return { up: false, healthy: false, detail: `answered ${status}` };
    const h = body as { status?: string; number_of_nodes?: number; active_shards?: number; unassigned_shards?: number };
    const detail = `${h.status}, ${h.number_of_nodes} node${h.number_of_nodes === 1 ? '' : 's'}, ${h.active_shards} active shards, ${h.unassigned_shards} unassigned`;
    return { up: true, healthy: h.status !== 'red', detail };
  } catch (error) {
    return { up: false, healthy: false, detail: refused(error) };
  }
}

export async function probePostgres(url: string, timeoutMs: number): Promise<StoreProbe> {
  const sql = postgres(url, { max: 1, connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)), onnotice: () => {}, connection: { application_name: 'event-lens-status' } });
  try {
    const [row] = await withTimeout(sql<Array<{ server_version: string }>>`show server_version`, timeoutMs);
    return { up: true, healthy: true, detail: `version ${row?.server_version ?? '?'}` };
  } catch (error) {
    return { up: false, healthy: false, detail: refused(error) };
  } finally {
    void sql.end({ timeout: 0 }).catch(() => {});
  }
}

export async function probeRedis(url: string, timeoutMs: number): Promise<StoreProbe> {
  const redis = new Redis(url, { connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  // ioredis rejects with "Connection is closed." after a refused connect; the 'error' event has the real reason.
  let lastError: unknown;
  redis.on('error', (error) => {
    lastError = error;
  });
  try {
    await withTimeout(redis.connect(), timeoutMs);
    const info = await withTimeout(redis.info('memory'), timeoutMs);
    const used = /used_memory_human:(\S+)/.exec(info)?.[1] ?? '?';
    return { up: true, healthy: true, detail: `used memory ${used}` };
  } catch (error) {
    return { up: false, healthy: false, detail: refused(lastError ?? error) };
  } finally {
    redis.disconnect();
  }
}
