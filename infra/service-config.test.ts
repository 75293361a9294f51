import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { componentOf, numberOf, SERVICE_ENTRIES, serviceConfig, ServiceConfigError, stringOf, type ServiceName } from './service-config.ts';

const ROOT = join(import.meta.dir, '..');

/** Runs `bun <entry> --print-config` without blocking this process, so the listener below can see any connection. */
async function printConfig(service: ServiceName, env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, SERVICE_ENTRIES[service], '--print-config'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 30_000,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

// Stands in for every store and the broker: a service that connects anywhere while printing shows up here.
let connections = 0;
const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { open: () => void connections++, data: () => {} } });
afterAll(() => listener.stop(true));
const at = `127.0.0.1:${listener.port}`;
const unreachable = {
  KAFKA_BROKERS: at,
  ELASTICSEARCH_URL: `http://${at}`,
  DATABASE_URL: `postgres://postgres@${at}/test`,
  REDIS_URL: `redis://${at}`,
  // Loading the Kafka client library would fail on this path, so a print that succeeds never loaded it.
  RDKAFKA_LIB: '/nonexistent/librdkafka.so.1',
};

describe('--print-config', () => {
  test('each service prints every config spec it reads, with the values its environment sets', () => {
    const edge = serviceConfig('edge', { ...process.env, EDGE_PORT: '18181' });
    expect(Object.keys(edge).sort()).toEqual(['auth', 'connections', 'edge', 'kafka client', 'tracing']);
    expect(numberOf(componentOf(edge, 'edge'), 'port')).toBe(18181);
    expect(componentOf(edge, 'edge').rows.find((row) => row.env === 'EDGE_PORT')?.default).toBe(8080);

    const workers = serviceConfig('workers', { ...process.env, WORKERS_TOPIC: 'printed-topic' });
    expect(Object.keys(workers).sort()).toEqual(
      ['connections', 'kafka client', 'tracing', 'workers', 'workers.elasticsearch', 'workers.pipelines', 'workers.postgres', 'workers.redis'],
    );
    expect(stringOf(componentOf(workers, 'workers'), 'topic')).toBe('printed-topic');

    const query = serviceConfig('query', { ...process.env, QUERY_PORT: '14141', KAFKA_BROKERS: 'broker-a:9092' });
    expect(Object.keys(query).sort()).toEqual(['auth', 'connections', 'kafka client', 'query']);
    expect(numberOf(componentOf(query, 'query'), 'port')).toBe(14141);
    expect(stringOf(componentOf(query, 'connections'), 'kafkaBrokers')).toBe('broker-a:9092');
  });

  test('printing connects to nothing and loads no Kafka library: every address points at a listener that sees no connection', async () => {
    for (const service of Object.keys(SERVICE_ENTRIES) as ServiceName[]) {
      const run = await printConfig(service, unreachable);
      expect({ service, code: run.code, stderr: run.stderr }).toEqual({ service, code: 0, stderr: '' });
      const printed = JSON.parse(run.stdout) as Record<string, { values: Record<string, unknown> }>;
      expect(printed.connections?.values.kafkaBrokers).toBe(at);
    }
    expect(connections).toBe(0);
  });

  test('secrets are printed masked: the hash key, and the password inside a connection URL', async () => {
    const secret = 'a-hash-key-that-must-not-be-printed-0123456789';
    const { stdout, code } = await printConfig('query', { ...unreachable, AUTH_HASH_KEY: secret, DATABASE_URL: `postgres://app:pw-not-printed@${at}/test` });
    expect(code).toBe(0);
    expect(stdout).not.toContain(secret);
    expect(stdout).not.toContain('pw-not-printed');
    const printed = JSON.parse(stdout) as Record<string, { values: Record<string, unknown> }>;
    expect(printed.auth?.values.hashKey).toBe('***');
    expect(printed.connections?.values.databaseUrl).toBe(`postgres://app:***@${at}/test`);
  });

  test('a bad value stops the print with a non-zero exit, the variable and what was expected', async () => {
    const run = await printConfig('edge', { EDGE_PORT: 'lots', AUTH_CACHE_TTL_MS: '-1' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('invalid edge and auth configuration');
    expect(run.stderr).toContain('EDGE_PORT="lots": expected a number');
    expect(run.stderr).toContain('AUTH_CACHE_TTL_MS="-1"');
    expect(() => serviceConfig('workers', { ...process.env, WORKERS_COUNT: 'many' })).toThrow(
      new ServiceConfigError('workers/main.ts --print-config: invalid workers configuration:\n  - WORKERS_COUNT="many": expected a number'),
    );
  });

  test('a setting read with another type than it has names the setting', () => {
    const query = componentOf(serviceConfig('query', process.env), 'query');
    expect(() => stringOf(query, 'port')).toThrow('setting "port" is 4000, expected a string');
    expect(() => componentOf(serviceConfig('query', process.env), 'edge')).toThrow('no "edge" settings');
  });
});
