import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createQueryApp } from './app.ts';
import { chooseBind } from './bind.ts';
import { serveQuery } from './server.ts';
import { createRun } from './testing.ts';

// Where the gateway listens, over real sockets and the real entry point.
const run = createRun();
afterAll(() => run.cleanup());

describe('the gateway binds loopback unless told otherwise', () => {
  test('by default it listens on 127.0.0.1 only', async () => {
    const app = createQueryApp({ config: run.config, auth: run.auth, dlq: false });
    const server = serveQuery({ app, port: 0 });
    try {
      expect(server.hostname).toBe('127.0.0.1');
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      await server.stop(true);
      await app.close();
    }
  });

  test('AUTH=off with a public address is refused before listening', async () => {
    const app = createQueryApp({ config: { ...run.config, hostname: '0.0.0.0' }, auth: { mode: 'off' }, dlq: false });
    try {
      expect(() => serveQuery({ app, port: 0 })).toThrow(/QUERY_HOSTNAME=0\.0\.0\.0 is not a loopback address, and AUTH=off/);
    } finally {
      await app.close();
    }
  });

  test('AUTH=off on loopback starts with a loud warning; keys on a public address warn about the development hash key', () => {
    const off = chooseBind({ hostname: '127.0.0.1', authMode: 'off', developmentHashKey: true });
    expect(off).toMatchObject({ ok: true, hostname: '127.0.0.1' });
    expect(off.ok && off.warnings[0]).toContain('WARNING AUTH=off');
    const exposed = chooseBind({ hostname: '0.0.0.0', authMode: 'on', developmentHashKey: true });
    expect(exposed.ok && exposed.warnings[0]).toContain('AUTH_HASH_KEY');
    expect(chooseBind({ hostname: '::1', authMode: 'off', developmentHashKey: false }).ok).toBe(true);
    expect(chooseBind({ hostname: '10.0.0.5', authMode: 'off', developmentHashKey: false }).ok).toBe(false);
  });
});

describe('bun query/server.ts', () => {
  test('exits non-zero naming QUERY_HOSTNAME and AUTH when AUTH=off is asked to listen on 0.0.0.0', async () => {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, 'server.ts')], {
      // The port is never bound: the start is refused first.
      env: { ...process.env, AUTH: 'off', QUERY_HOSTNAME: '0.0.0.0', QUERY_DLQ_ENABLED: 'false' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const code = await child.exited;
    const stderr = await new Response(child.stderr).text();
    expect(code).not.toBe(0);
    expect(stderr).toContain('QUERY_HOSTNAME=0.0.0.0');
    expect(stderr).toContain('AUTH=off');
    expect(await new Response(child.stdout).text()).not.toContain('listening');
  });
});
