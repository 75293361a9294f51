import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApps, stopApps, type RunningApp } from '../infra/platform.ts';
import { ROOT } from '../infra/stack.ts';
import { createIsolatedTopics, isolatedEnv, isolationId, removeIsolated } from '../infra/isolation.ts';

// The short fuzz run, as a user runs it (the CLI as a child process), against edge, workers and query started as real
// processes on this run's own topic, group, index prefix, schema and key prefix.
const id = isolationId('fuzz');
const ports = { edge: 18280, workers: 19670, query: 14200 };
// AUTH=off: this run is about bodies and documents, not keys (the edge then listens on loopback only).
const env = { ...isolatedEnv(id, ports), EDGE_PROCESSES: '1', WORKERS_COUNT: '1', AUTH: 'off' };
const home = mkdtempSync(join(tmpdir(), 'event-lens-fuzz-'));
let apps: RunningApp[] = [];

describe('npm run fuzz against a running platform', () => {
  beforeAll(async () => {
    await createIsolatedTopics(id);
    apps = await startApps(ROOT, home, [
      { name: 'edge', entry: 'edge/server.ts', readyUrl: `http://127.0.0.1:${ports.edge}/readyz`, env },
      { name: 'workers', entry: 'workers/main.ts', readyUrl: `http://127.0.0.1:${ports.workers}/healthz`, env },
      { name: 'query', entry: 'query/server.ts', readyUrl: `http://127.0.0.1:${ports.query}/healthz`, env },
    ], () => {});
  }, 90_000);

  afterAll(async () => {
    await stopApps(apps);
    await removeIsolated(id);
    rmSync(home, { recursive: true, force: true });
  }, 90_000);

  test('2000 hostile requests: no undocumented 5xx, no crash, every accepted event in all three stores, no lag', async () => {
    const proc = Bun.spawn([process.execPath, join(ROOT, 'fuzz/run.ts'), '--requests', '2000', '--seed', '1', '--max-seconds', '60', '--settle-seconds', '30', '--timeout-ms', '10000'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const table = out.slice(out.indexOf('\nfuzz: '));
    if (code !== 0) console.error(`${table}\n${err}`);
    expect(table).toContain('fuzz: 2000 of 2000 requests');
    expect(table).toMatch(/^POST \/v1\/events\s+202\s+-\s+\d+$/m);
    expect(table).toContain('undocumented 5xx or unanswered: 0');
    expect(table).toContain('crashed processes: 0');
    for (const store of ['elasticsearch', 'postgres', 'redis']) expect(table).toMatch(new RegExp(`in ${store}\\s+(\\d+)/\\1, missing 0`));
    expect(table).toMatch(/^lag left: 0 /m);
    expect(table).toContain('result: PASS');
    expect(code).toBe(0);
  }, 150_000);
});
