import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIsolatedKeys, createIsolatedTopics, isolatedEnv, isolationId, removeIsolated } from './isolation.ts';
import { processStatusDir, startApps, stopApps, type RunningApp } from './platform.ts';
import { ROOT } from './stack.ts';

/** One scraped exposition: where it came from (a URL or a `.prom` file) and its text. */
export interface Exposition {
  readonly source: string;
  readonly text: string;
}

export interface ScrapedPlatform {
  /** Every /metrics endpoint and every supervisor `.prom` file, read after traffic went through. */
  readonly expositions: readonly Exposition[];
  stop(): Promise<void>;
}

/**
 * The platform as `npm start` runs it (two edge processes and two workers, each under its own supervisor, and the
 * gateway) on its own ports, topic, group,
 * schema and keys, with traffic that leaves labelled series behind — accepted events, a rejected event, a refused key,
 * GraphQL reads — then a scrape of every /metrics endpoint (the gateway's with a read key) and the `.prom` files.
 */
export async function startScrapedPlatform({ what, ports }: { what: string; ports: { edge: number; edgeAdmin: number; workers: number; query: number } }): Promise<ScrapedPlatform> {
  const id = isolationId(what);
  const home = mkdtempSync(join(tmpdir(), `event-lens-${what}-`));
  const env = { ...isolatedEnv(id, ports), EDGE_PROCESSES: '2', WORKERS_COUNT: '2' };
  let apps: RunningApp[] = [];
  const stop = async function stopScrapedPlatform(): Promise<void> {
    if (apps.length) await stopApps(apps, 5000);
    for (const k of Object.keys(env)) delete process.env[k];
    await removeIsolated(id);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await createIsolatedTopics(id);
    const keys = await createIsolatedKeys(id);
    for (const [k, v] of Object.entries(env)) process.env[k] = v;
    apps = await startApps(ROOT, home, [
      { name: 'edge', entry: 'edge/server.ts', readyUrl: `http://127.0.0.1:${ports.edge}/readyz` },
      { name: 'workers', entry: 'workers/main.ts', readyUrl: `http://127.0.0.1:${ports.workers}/healthz` },
      { name: 'query', entry: 'query/server.ts', readyUrl: `http://127.0.0.1:${ports.query}/healthz` },
    ], () => {});
    const post = (authorization: string, body: unknown) =>
      fetch(`http://127.0.0.1:${ports.edge}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
    const good = Array.from({ length: 20 }, (_, i) => ({ type: 'metrics.probe', source: 'lint', key: `k-${i}`, data: { i } }));
    expectStatus(await post(`Bearer ${keys.ingest}`, good), 202);
    expectStatus(await post(`Bearer ${keys.ingest}`, [{ type: '', data: 'not an object' }]), 400);
    expectStatus(await post('Bearer not-a-key', good.slice(0, 1)), 401);
    expectStatus(await fetch(`http://127.0.0.1:${ports.query}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.readAdmin}` }, body: '{"query":"{ liveStats { total } }"}' }), 200);
    const urls = [
      ...[0, 1].map((i) => `http://127.0.0.1:${ports.edgeAdmin + i}/metrics`),
      ...[0, 1].map((i) => `http://127.0.0.1:${ports.workers + i}/metrics`),
      `http://127.0.0.1:${ports.query}/metrics`,
    ];
    const scrape = async (url: string) => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${keys.readAdmin}` } });
      expectStatus(res, 200);
      return res.text();
    };
    // Until the workers have written the events, so their sink histograms have series.
    const deadline = Date.now() + 60_000;
    const wrote = /^workers_sink_latency_seconds_count\{sink="redis"\} [1-9]/m;
    while (!wrote.test((await Promise.all(urls.slice(2, 4).map(scrape))).join('\n'))) {
      if (Date.now() > deadline) throw new Error('the workers wrote nothing within 60 s');
      await Bun.sleep(500);
    }
    const expositions: Exposition[] = [];
    for (const url of urls) expositions.push({ source: url, text: await scrape(url) });
    const status = processStatusDir(home);
    for (const file of readdirSync(status).filter((f) => f.endsWith('.prom'))) {
      expositions.push({ source: join(status, file), text: readFileSync(join(status, file), 'utf8') });
    }
    return { expositions, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function expectStatus(res: Response, status: number): void {
  if (res.status !== status) throw new Error(`${res.url} answered ${res.status}, expected ${status}`);
}

/** The metric families an exposition declares (its `# TYPE` lines), name → type. */
export function metricFamilies(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}
