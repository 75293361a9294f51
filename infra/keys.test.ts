import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { authFixture, type AuthFixture } from '../shared/auth/testing.ts';
import { createKeyVerifier } from '../shared/auth/verifier.ts';

const root = join(import.meta.dir, '..');
let fx: AuthFixture;
beforeAll(async () => {
  fx = await authFixture('cli', { cacheTtlMs: 0 });
});
afterAll(() => fx.close());

/** Runs the CLI with `args` (split on spaces) as a child process; `shell` runs a whole command line through bash. */
async function keys(args: string, { shell }: { shell?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = shell ? ['bash', '-c', shell] : [process.execPath, 'infra/keys.ts', ...args.split(' ')];
  const proc = Bun.spawn(cmd, { cwd: root, env: { ...process.env, ...fx.env }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

describe('keys CLI', () => {
  test('create prints the secret alone on the last line; it verifies until the key is revoked', async () => {
    // The documented way to capture a new key in a script.
    const created = await keys('', { shell: 'npm run -s keys -- create --name shop-web --scopes ingest --source shop --rate 200/s --burst 50 | tail -1' });
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^el_ingest_[0-9A-Za-z]{43}$/);

    const verify = createKeyVerifier({ sql: fx.sql, config: fx.config });
    expect(await verify(secret)).toMatchObject({ ok: true, key: { name: 'shop-web', scopes: ['ingest'], source: 'shop', rate: 200, burst: 50 } });

    const revoked = await keys('revoke shop-web');
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining('revoked key shop-web at ') });
    expect(await verify(secret)).toEqual({ ok: false, code: 'invalid_credentials' });
  });

  test('list shows a table of keys with their limits and revocation, and no secret', async () => {
    const created = await keys('create --name dashboard --scopes read,admin');
    const secret = created.stdout.trim().split('\n').at(-1)!;
    expect(secret).toStartWith('el_admin_');
    const listed = await keys('list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['name', 'scopes', 'source', 'rate', 'burst', 'created', 'revoked']);
    expect(lines[1]).toMatch(/^shop-web\s+ingest\s+shop\s+200\/s\s+50\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z$/);
    expect(lines[2]).toMatch(/^dashboard\s+read,admin\s+-\s+-\s+-\s+\S+Z\s+-$/);
    expect(listed.stdout).not.toContain(secret);
  });

  test('usage mistakes exit with 2 and say what is wrong; failures exit with 1', async () => {
    const badScope = await keys('create --name x --scopes ingest,write');
    expect(badScope).toMatchObject({ code: 2, stderr: expect.stringContaining('scopes[1]: unknown scope "write" (expected ingest, read, admin) (invalid_scope)') });
    expect(await keys('create --name x --scopes ingest --rate 0')).toMatchObject({ code: 2, stderr: expect.stringContaining('(invalid_rate)') });
    expect(await keys('create --scopes ingest')).toMatchObject({ code: 2, stderr: expect.stringContaining('create needs --name and --scopes') });
    expect(await keys('rotate shop-web')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "rotate"') });
    expect(await keys('list --frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--frobnicate'") });
    expect(await keys('revoke nobody')).toMatchObject({ code: 1, stderr: expect.stringContaining('no key is named "nobody" (unknown_key)') });
    expect(await keys('create --name dashboard --scopes read')).toMatchObject({ code: 1, stderr: expect.stringContaining('(key_exists)') });
    expect(await keys('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: npm run -s keys -- <command>') });
  });
});
