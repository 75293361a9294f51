import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedPlatform } from './isolated-platform.ts';
import type { IsolatedPorts } from './isolation.ts';
import { processStatusDir } from './platform.ts';

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
 * gateway) on its own ports, topic, group, schema and keys, with traffic that leaves labelled series behind — accepted
 * events, a rejected event, a refused key, GraphQL reads — then a scrape of every /metrics endpoint (the gateway's
 * with a read key) and the `.prom` files.
 */
export async function startScrapedPlatform({ what, ports }: { what: string; ports: Required<IsolatedPorts> }): Promise<ScrapedPlatform> {
  const platform = await isolatedPlatform({ what, ports, edgeProcesses: 2, workers: 2 });
  try {
    const { keys, urls } = platform;
    const post = (authorization: string, body: unknown) =>
      fetch(`${urls.edge}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
    const good = Array.from({ length: 20 }, (_, i) => ({ type: 'metrics.probe', source: 'lint', key: `k-${i}`, data: { i } }));
    expectStatus(await post(`Bearer ${keys.ingest}`, good), 202);
    expectStatus(await post(`Bearer ${keys.ingest}`, [{ type: '', data: 'not an object' }]), 400);
    expectStatus(await post('Bearer not-a-key', good.slice(0, 1)), 401);
    expectStatus(await fetch(`${urls.query}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.readAdmin}` }, body: '{"query":"{ liveStats { total } }"}' }), 200);
    const workerUrls = urls.workers.map((url) => `${url}/metrics`);
    const all = [...urls.edgeAdmin.map((url) => `${url}/metrics`), ...workerUrls, `${urls.query}/metrics`];
    const scrape = async (url: string) => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${keys.readAdmin}` } });
      expectStatus(res, 200);
      return res.text();
    };
    // Until the workers have written the events, so their sink histograms have series.
    const deadline = Date.now() + 60_000;
    const wrote = /^workers_sink_latency_seconds_count\{sink="redis"\} [1-9]/m;
    while (!wrote.test((await Promise.all(workerUrls.map(scrape))).join('\n'))) {
      if (Date.now() > deadline) throw new Error('the workers wrote nothing within 60 s');
      await Bun.sleep(500);
    }
    const expositions: Exposition[] = [];
    for (const url of all) expositions.push({ source: url, text: await scrape(url) });
    const status = processStatusDir(platform.home);
    for (const file of readdirSync(status).filter((f) => f.endsWith('.prom'))) {
      expositions.push({ source: join(status, file), text: readFileSync(join(status, file), 'utf8') });
    }
    return { expositions, stop: platform.stop };
  } catch (error) {
    await platform.stop();
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
