import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { isolatedPlatform, type IsolatedPlatform } from '../infra/isolated-platform.ts';
import { ROOT } from '../infra/stack.ts';

// The short fuzz run, as a user runs it (the CLI as a child process), against edge, workers and query started as real
// processes on this run's own topic, group, index prefix, schema and key prefix, with API keys on: the run's key store
// holds an ingest key, a read key and a revoked key, and the CLI is given all three.
const ports = { edge: 18280, workers: 19670, query: 14200 };
let platform: IsolatedPlatform<'ingest' | 'read' | 'revoked'>;

describe('npm run fuzz against a running platform', () => {
  beforeAll(async () => {
    platform = await isolatedPlatform({
      what: 'fuzz',
      ports,
      env: { EDGE_HOSTNAME: '127.0.0.1' },
      keys: { ingest: 'ingest', read: 'read', revoked: 'ingest,read' },
      revoked: ['revoked'],
    });
  }, 150_000);

  afterAll(async () => platform?.stop(), 90_000);

  test('2000 hostile requests with keys on: no undocumented 5xx, no hostile key let in, no crash, every accepted event in all three stores, no lag', async () => {
    const { keys } = platform;
    const keyArgs = ['--api-key', keys.ingest, '--read-key', keys.read, '--revoked-key', keys.revoked];
    const proc = Bun.spawn([process.execPath, join(ROOT, 'fuzz/run.ts'), '--requests', '2000', '--seed', '1', '--max-seconds', '60', '--settle-seconds', '120', '--timeout-ms', '10000', ...keyArgs], {
      cwd: ROOT,
      env: { ...process.env, ...platform.env },
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
