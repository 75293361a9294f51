import { describe, expect, test } from 'bun:test';
import { chooseBind, isLoopback } from './bind.ts';

describe('where the edge listens', () => {
  test('with keys on it listens on every interface by default, or where EDGE_HOSTNAME says', () => {
    expect(chooseBind({ hostname: '', authMode: 'on', developmentHashKey: false })).toEqual({ ok: true, hostname: '0.0.0.0', warnings: [] });
    expect(chooseBind({ hostname: '10.0.0.5', authMode: 'on', developmentHashKey: false })).toEqual({ ok: true, hostname: '10.0.0.5', warnings: [] });
  });

  test('with AUTH=off it listens on loopback only, with a warning that requests need no key', () => {
    const bind = chooseBind({ hostname: '', authMode: 'off', developmentHashKey: false });
    expect(bind).toMatchObject({ ok: true, hostname: '127.0.0.1' });
    if (!bind.ok) throw new Error('refused');
    expect(bind.warnings).toHaveLength(1);
    expect(bind.warnings[0]).toContain('AUTH=off');
    expect(chooseBind({ hostname: '::1', authMode: 'off', developmentHashKey: false })).toMatchObject({ ok: true, hostname: '::1' });
  });

  test('AUTH=off with a non-loopback EDGE_HOSTNAME is refused in one line naming both variables', () => {
    for (const hostname of ['0.0.0.0', '::', '192.168.1.20', 'edge.internal']) {
      const bind = chooseBind({ hostname, authMode: 'off', developmentHashKey: false });
      if (bind.ok) throw new Error(`${hostname} was allowed`);
      expect(bind.error).toContain(`EDGE_HOSTNAME=${hostname}`);
      expect(bind.error).toContain('AUTH=off');
      expect(bind.error).not.toContain('\n');
    }
  });

  test('the public development hash key on a non-loopback address is warned about, not on loopback', () => {
    const exposed = chooseBind({ hostname: '', authMode: 'on', developmentHashKey: true });
    if (!exposed.ok) throw new Error('refused');
    expect(exposed.warnings).toHaveLength(1);
    expect(exposed.warnings[0]).toContain('AUTH_HASH_KEY');
    expect(chooseBind({ hostname: '127.0.0.1', authMode: 'on', developmentHashKey: true })).toEqual({ ok: true, hostname: '127.0.0.1', warnings: [] });
  });

  test('loopback addresses are told apart from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example.com', '']) expect(isLoopback(host)).toBe(false);
  });
});
