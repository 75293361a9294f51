/**
 * A steady ingestion client that behaves like a careful SDK: it sends batches at a fixed rate with its own event ids
 * and timestamps, and resends exactly what the edge says may be retried (a 503, a retriable per-event rejection, a
 * dropped connection) with the same ids, a bounded number of times. Given several edges it takes them in turn, one
 * request each, as a round-robin load balancer in front of them would; a resend goes to the next one.
 */
export interface LoadOptions {
  /** Base URLs of the edges. */
  urls: readonly string[];
  /** Ingest key sent as a bearer token; none with AUTH=off. */
  apiKey?: string;
  ratePerSecond?: number;
  seconds?: number;
  eventsPerRequest?: number;
  /** Sends of one event before the client gives up on it. */
  maxAttempts?: number;
  /** Longer than the edge's delivery timeout (EDGE_DELIVERY_TIMEOUT_MS, 15 s), so the edge's answer is what we see. */
  requestTimeoutMs?: number;
}

export interface RequestRecord {
  /** performance.now() when the request was sent. */
  at: number;
  ms: number;
  /** HTTP status, or 0 when no answer came (connection error or timeout). */
  status: number;
  /** Which of `urls` it was sent to. */
  edge: number;
}

export interface LoadResult {
  requests: RequestRecord[];
  /** Ids the edge accepted (a 2xx with status accepted for that item). */
  accepted: Set<string>;
  /** Ids that were still not accepted after maxAttempts, or that were refused for good. */
  failed: Map<string, string>;
  resends: number;
}

interface OutEvent {
  id: string;
  type: string;
  timestamp: string;
  data: { n: number };
}

type ReceiptBody = { results?: Array<{ status: string; id?: string; retriable?: boolean; code?: string }>; error?: { code?: string } };

export function createLoadClient({
  urls,
  apiKey,
  ratePerSecond = 60,
  seconds = 40,
  eventsPerRequest = 4,
  maxAttempts = 30,
  requestTimeoutMs = 20_000,
}: LoadOptions) {
  const result: LoadResult = { requests: [], accepted: new Set(), failed: new Map(), resends: 0 };
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(apiKey && { authorization: `Bearer ${apiKey}` }) };
  let n = 0;
  let sent = 0;

  async function post(events: OutEvent[]): Promise<{ status: number; body?: ReceiptBody }> {
    const at = performance.now();
    const edge = sent++ % urls.length;
    let status = 0;
    let body: ReceiptBody | undefined;
    try {
      const res = await fetch(`${urls[edge]}/v1/events`, { method: 'POST', headers, body: JSON.stringify(events), signal: AbortSignal.timeout(requestTimeoutMs) });
      status = res.status;
      body = (await res.json().catch(() => undefined)) as ReceiptBody | undefined;
    } catch {
      status = 0;
    }
    result.requests.push({ at, ms: performance.now() - at, status, edge });
    return { status, body };
  }

  /** Sends `events` until each is accepted, refused for good, or out of attempts. */
  async function deliver(events: OutEvent[]): Promise<void> {
    let pending = events;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) result.resends++;
      const { status, body } = await post(pending);
      const retry: OutEvent[] = [];
      if ((status === 202 || status === 207 || status === 400) && body?.results?.length === pending.length) {
        for (const [i, item] of body.results.entries()) {
          const event = pending[i]!;
          if (item.status === 'accepted') result.accepted.add(event.id);
          else if (item.retriable) retry.push(event);
          else result.failed.set(event.id, item.code ?? 'rejected');
        }
      } else if (status === 0 || status === 503 || status === 429 || status >= 500) {
        retry.push(...pending);
      } else {
        for (const e of pending) result.failed.set(e.id, body?.error?.code ?? `http_${status}`);
      }
      pending = retry;
      if (pending.length > 0 && attempt >= maxAttempts) {
        for (const e of pending) result.failed.set(e.id, 'attempts_exhausted');
        return;
      }
      if (pending.length > 0) await Bun.sleep(Math.min(1000, 100 * attempt));
    }
  }

  const batch = (): OutEvent[] =>
    Array.from({ length: eventsPerRequest }, () => ({ id: crypto.randomUUID(), type: 'failover.tick', timestamp: new Date().toISOString(), data: { n: n++ } }));

  /**
   * Runs the load for `seconds`, or until `stop` is aborted; `onTick(elapsedMs)` is called before each send (the
   * scenario's clock). Resolves when every batch sent settled.
   */
  return async function runLoad(onTick: (elapsedMs: number) => void = () => {}, stop?: AbortSignal): Promise<LoadResult> {
    const start = performance.now();
    const total = Math.round(ratePerSecond * seconds);
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total && !stop?.aborted; i++) {
      const due = start + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      onTick(performance.now() - start);
      inFlight.push(deliver(batch()));
    }
    await Promise.all(inFlight);
    return result;
  };
}

/** The p-th percentile (0..100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
