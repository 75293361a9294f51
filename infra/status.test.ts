import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { isolatedPlatform, type IsolatedPlatform } from './isolated-platform.ts';
import { ROOT } from './stack.ts';
import type { StatusReport } from './status-report.ts';

// `npm run status` as a child process against the platform as `npm start` runs it (one edge, two workers under their
// own supervisor, the gateway) on this run's own ports, topic, group and status files (STACK_HOME).
const ports = { edge: 18200, workers: 19590, query: 14120 };
let platform: IsolatedPlatform;

/** `bun infra/cli.ts status` with the run's environment; killed if it has not ended within 20 s. */
async function status(args: string[], overrides: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'infra/cli.ts'), 'status', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...platform.env, STACK_HOME: platform.home, ...overrides },
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 20_000,
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).not.toContain('    at ');
  return { code, out };
}
const report = async (overrides?: Record<string, string>) => JSON.parse((await status(['--json'], overrides)).out) as StatusReport;

describe('npm run status', () => {
  beforeAll(async () => {
    platform = await isolatedPlatform({ what: 'status', ports, workers: 2 });
    const events = Array.from({ length: 12 }, (_, i) => ({ type: 'status.probe', key: `k-${i}`, data: { i } }));
    const res = await fetch(`${platform.urls.edge}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.keys.ingest}` },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(202);
    // Until the workers have committed all 12 events (and both are up and ready).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await report();
      const committed = r.kafka.partitions.reduce((n, p) => n + (p.committed ?? 0), 0);
      if (committed === 12 && r.healthy) break;
      if (Date.now() > deadline) throw new Error(`the workers did not commit the events: ${JSON.stringify(r)}`);
      await Bun.sleep(500);
    }
  }, 120_000);

  afterAll(async () => platform?.stop(), 90_000);

  test('shows every process with its pid, restarts, health and readiness, and exits 0 when all is healthy', async () => {
    const { code, out } = await status([]);
    expect(code).toBe(0);
    for (const name of ['edge', 'worker-0', 'worker-1', 'query']) {
      expect(out).toMatch(new RegExp(`^\\w+\\s+${name}\\s+\\d+\\s+\\S+\\s+0\\s+running\\s+ok\\s+ready$`, 'm'));
    }
    expect(out).toContain(`group ${platform.id}`);
    expect(out.trimEnd().split('\n').at(-1)).toBe('all healthy');
  });

  test('shows lag 0 on every partition of the topic once the workers committed, with the leader and the ISR', async () => {
    const r = await report();
    expect(r.kafka).toMatchObject({ topic: platform.id, groupId: platform.id, topicExists: true });
    expect(r.kafka.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of r.kafka.partitions) {
      expect(p).toMatchObject({ lag: 0, isr: p.replicas });
      expect(p.leader).toBeGreaterThanOrEqual(0);
    }
    expect(r.kafka.brokers.length).toBeGreaterThan(0);
    expect(r.kafka.brokers.every((b) => b.reachable)).toBe(true);
    const { out } = await status([]);
    expect(out).toMatch(/^partition\s+leader\s+isr\s+high watermark\s+committed\s+lag$/m);
    expect(out).toMatch(/^total lag 0$/m);
  });

  test('shows the search node, Postgres and Redis up, with cluster health, version and memory', async () => {
    const r = await report();
    expect(r.stores.elasticsearch).toMatchObject({ up: true, healthy: true, detail: expect.stringMatching(/^(green|yellow), \d+ nodes?, \d+ active shards, \d+ unassigned$/) });
    expect(r.stores.postgres).toMatchObject({ up: true, detail: expect.stringMatching(/^version \d+/) });
    expect(r.stores.redis).toMatchObject({ up: true, detail: expect.stringMatching(/^used memory \S+/) });
  });

  test('with a service port nothing listens on, shows that service down and exits 1', async () => {
    const { code, out } = await status([], { QUERY_PORT: '14129' });
    expect(code).toBe(1);
    expect(out).toMatch(/^query\s+query\s+\d+\s+\S+\s+0\s+running\s+down\s+- \(nothing listens\)$/m);
    expect(out).toContain('not healthy: query is down');
    // The other processes are still reported healthy.
    expect(out).toMatch(/^workers\s+worker-0\s+.*\s+ok\s+ready$/m);
  });

  test('--json gives the same report for machines', async () => {
    const r = await report({ QUERY_PORT: '14129' });
    expect(r.healthy).toBe(false);
    expect(r.problems).toContain('query is down');
    expect(r.processes.find((p) => p.name === 'query')).toMatchObject({ healthy: false, ready: false, reason: 'nothing listens' });
  });
});
