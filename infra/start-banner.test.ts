import { describe, expect, test } from 'bun:test';
import { hidePassword, hostForUrl, startBanner, type BannerOptions } from './start-banner.ts';

// The text alone; infra/start.test.ts runs what the real `npm start` prints with keys on.
const base: BannerOptions = {
  edgeUrl: 'http://127.0.0.1:8080',
  edgeHostname: '127.0.0.1',
  queryUrl: 'http://127.0.0.1:4000',
  edgeAdminUrl: 'http://127.0.0.1:9480',
  workersMetricsUrl: 'http://127.0.0.1:9470',
  keys: { ingest: 'el_ingest_x', admin: 'el_admin_y', file: '/repo/.stack/dev-keys.json' },
  stores: { kafka: '127.0.0.1:9092', topic: 'events', elasticsearch: 'http://127.0.0.1:9200', postgres: 'postgres://postgres@127.0.0.1:5432/test', redis: 'redis://127.0.0.1:6379' },
  logs: '/repo/.stack/logs',
  demo: true,
};
const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe("npm start's banner", () => {
  test('with keys on it prints both keys as export lines, the dashboard link with the read key, and curl lines that send them', () => {
    const text = startBanner(base);
    expect(lines(text)).toContain('export EVENT_LENS_KEY=el_ingest_x        # ingest key for the edge');
    expect(lines(text)).toContain('export EVENT_LENS_ADMIN_KEY=el_admin_y   # read + admin key for the gateway');
    expect(text).toContain('http://127.0.0.1:4000/dashboard#key=el_admin_y');
    const curls = lines(text).filter((l) => l.startsWith('curl '));
    expect(curls).toHaveLength(2);
    expect(curls[0]).toContain('-H "Authorization: Bearer $EVENT_LENS_KEY"');
    expect(curls[1]).toContain('-H "Authorization: Bearer $EVENT_LENS_ADMIN_KEY"');
    expect(text).not.toContain('AUTH=off');
    expect(text).toContain('http://127.0.0.1:9480/metrics');
  });

  test('with AUTH=off it prints no key and a warning line, and its curl lines send no Authorization header', () => {
    const text = startBanner({ ...base, keys: null });
    expect(text).not.toContain('el_');
    expect(text).not.toContain('export ');
    expect(text).not.toContain('#key=');
    expect(lines(text).some((l) => l.startsWith('!!! WARNING AUTH=off'))).toBe(true);
    expect(text).not.toContain('Authorization');
  });

  test('the edge on loopback gets the hint how to expose it; an edge on every interface is named instead', () => {
    expect(startBanner(base)).toContain('set EDGE_HOSTNAME=0.0.0.0 and AUTH_HASH_KEY');
    const exposed = startBanner({ ...base, edgeHostname: '0.0.0.0' });
    expect(exposed).toContain('The edge listens on 0.0.0.0.');
    expect(exposed).not.toContain('set EDGE_HOSTNAME=0.0.0.0');
  });

  test('passwords in connection URLs are not printed', () => {
    const text = startBanner({ ...base, stores: { ...base.stores, elasticsearch: 'http://elastic:hunter2hunter2@es:9200', redis: 'redis://:hunter2hunter2@cache:6379' } });
    expect(text).not.toContain('hunter2');
    expect(text).toContain('http://elastic:***@es:9200');
    expect(hidePassword('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });

  test('addresses in URLs: a wildcard bind is reached on loopback, IPv6 goes in brackets', () => {
    expect(hostForUrl('')).toBe('127.0.0.1');
    expect(hostForUrl('0.0.0.0')).toBe('127.0.0.1');
    expect(hostForUrl('::')).toBe('[::1]');
    expect(hostForUrl('::1')).toBe('[::1]');
    expect(hostForUrl('10.0.0.5')).toBe('10.0.0.5');
  });
});
