import { treeCpuSeconds } from '../lib/proc.ts';
import { wrk, type WrkResult } from '../lib/wrk.ts';

/**
 * What a refused request costs the edge: a key held at its rate limit (429 rate_limited) beside malformed JSON
 * sent with an unlimited key (400 malformed_json), same edge processes, same load. The figure is the edge's CPU
 * time (user + system, every serving process, from /proc) over the run divided by the requests wrk completed, so a
 * refusal that costs more than a parse error shows however fast the client is.
 */
export interface RefusalRun {
  name: string;
  status: number;
  code: string;
  requests: number;
  rps: number;
  /** How many answers were not the expected refusal (a rate-limited key still gets ~rate events/s through). */
  otherAnswers: number;
  cpuSeconds: number;
  cpuUsPerRequest: number;
}

export interface RefusalCase {
  name: string;
  status: number;
  code: string;
  body: string;
  headers: Record<string, string>;
}

export interface RefusalOptions {
  url: string;
  /** The edge's main process: its descendants are the serving processes. */
  pid: number;
  connections: number;
  threads: number;
  seconds: number;
  warmup: number;
  log: (line: string) => void;
}

/** One request's status and error code, read the way a client reads it. */
async function probe(url: string, c: RefusalCase): Promise<{ status: number; code: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers }, body: c.body });
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
  return { status: res.status, code: body.error?.code ?? '-' };
}

/** Warms up, checks the edge answers the case as expected (else throws), then measures it. */
export async function measureRefusal(c: RefusalCase, o: RefusalOptions): Promise<RefusalRun> {
  o.log(`  ${c.name}: warm-up ${o.warmup} s, then ${o.seconds} s ...`);
  const load = { url: o.url, body: c.body, headers: c.headers, connections: o.connections, threads: o.threads };
  await wrk({ ...load, seconds: o.warmup });
  // A few tries: a key at 1 event/s lets one request through now and then, and the probe may be that one.
  let seen = await probe(o.url, c);
  for (let i = 0; i < 4 && (seen.status !== c.status || seen.code !== c.code); i++) seen = await probe(o.url, c);
  if (seen.status !== c.status || seen.code !== c.code) throw new Error(`${c.name}: expected ${c.status} ${c.code}, the edge answered ${seen.status} ${seen.code}`);
  const before = treeCpuSeconds(o.pid);
  const r: WrkResult = await wrk({ ...load, seconds: o.seconds });
  const cpuSeconds = treeCpuSeconds(o.pid) - before;
  // wrk counts 2xx/3xx as ok: for a refusal case those are the answers that were not refused.
  const run = { name: c.name, status: c.status, code: c.code, requests: r.requests, rps: r.rps, otherAnswers: r.ok + r.socketErrors, cpuSeconds, cpuUsPerRequest: r.requests > 0 ? (cpuSeconds * 1e6) / r.requests : Number.NaN };
  o.log(`    ${r.rps.toFixed(0)} req/s, ${run.cpuUsPerRequest.toFixed(1)} µs of edge CPU per request, ${run.otherAnswers} not refused`);
  return run;
}

/** The rounds of one refusal case as one: requests and CPU summed, so each round weighs by its requests. */
export function meanRefusal(runs: readonly RefusalRun[]): RefusalRun | undefined {
  if (runs.length === 0) return undefined;
  const sum = (f: (r: RefusalRun) => number) => runs.reduce((n, r) => n + f(r), 0);
  const requests = sum((r) => r.requests);
  const cpuSeconds = sum((r) => r.cpuSeconds);
  return { ...runs[0]!, requests, rps: sum((r) => r.rps) / runs.length, otherAnswers: sum((r) => r.otherAnswers), cpuSeconds, cpuUsPerRequest: (cpuSeconds * 1e6) / requests };
}
