import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestKey, keyStoreEnv } from '../shared/testing/keys.ts';
import { startApps, stopApps, type RunningApp } from '../infra/platform.ts';
import { ROOT } from '../infra/stack.ts';
import { createIsolatedTopics, isolatedEnv, isolationId, removeIsolated } from '../shared/testing/isolation.ts';
import { revokeKey } from '../shared/auth/store.ts';
import { authFixture, type AuthFixture } from '../shared/auth/testing.ts';

// The short fuzz run, as a user runs it (the CLI as a child process), against edge, workers and query started as real
// processes on this run's own topic, group, index prefix, schema and key prefix, with API keys on: a key store of the
// run's own holds an ingest key, a read key and a revoked key, and the CLI is given all three.
const id = isolationId('fuzz');
const ports = { edge: 18280, workers: 19670, query: 14200 };
const home = mkdtempSync(join(tmpdir(), 'event-lens-fuzz-'));
let apps: RunningApp[] = [];
let keys: AuthFixture | undefined;
let env: Record<string, string> = {};
const secrets = { ingest: '', read: '', revoked: '' };

describe('npm run fuzz against a running platform', () => {
  beforeAll(async () => {
    keys = await authFixture('fuzz');
    secrets.ingest = (await createTestKey(keys, { name: 'fuzz-ingest', scopes: 'ingest' })).secret;
    secrets.read = (await createTestKey(keys, { name: 'fuzz-read', scopes: 'read' })).secret;
    secrets.revoked = (await createTestKey(keys, { name: 'fuzz-revoked', scopes: 'ingest,read' })).secret;
    await revokeKey(keys.sql, keys.id, 'fuzz-revoked');
    // The admin port from the OS, so a running edge (9480+) or another test's is no obstacle.
    env = { ...isolatedEnv(id, ports), ...keyStoreEnv(keys), EDGE_PROCESSES: '1', WORKERS_COUNT: '1', EDGE_HOSTNAME: '127.0.0.1', EDGE_ADMIN_PORT: '0' };
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
    await keys?.close();
    rmSync(home, { recursive: true, force: true });
  }, 90_000);

  test('2000 hostile requests with keys on: no undocumented 5xx, no hostile key let in, no crash, every accepted event in all three stores, no lag', async () => {
    const keyArgs = ['--api-key', secrets.ingest, '--read-key', secrets.read, '--revoked-key', secrets.revoked];
    const proc = Bun.spawn([process.execPath, join(ROOT, 'fuzz/run.ts'), '--requests', '2000', '--seed', '1', '--max-seconds', '60', '--settle-seconds', '120', '--timeout-ms', '10000', ...keyArgs], {
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
    // Hostile credentials answered with the documented refusals, by the edge and by the gateway.
    const edgeRoute = String.raw`POST \/(?:v1\/events|orders|api\/events|events|api\/events\/ingest|data)`;
    for (const [status, refusal] of [[401, 'missing_credentials'], [401, 'invalid_credentials'], [403, 'insufficient_scope']]) {
      expect(table).toMatch(new RegExp(`^${edgeRoute}\\s+${status}\\s+${refusal}\\s+\\d+$`, 'm'));
    }
    expect(table).toMatch(/^POST \/graphql\s+401\s+(missing|invalid)_credentials\s+\d+$/m);
    expect(table).toContain('failed requests: 0 ');
    expect(table).toContain('crashed processes: 0');
    for (const store of ['elasticsearch', 'postgres', 'redis']) expect(table).toMatch(new RegExp(`in ${store}\\s+(\\d+)/\\1, missing 0`));
    expect(table).toMatch(/^lag left: 0 /m);
    expect(table).toContain('result: PASS');
    expect(code).toBe(0);
  }, 240_000);
});
