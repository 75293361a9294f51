import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionsConfig } from '../shared/config/connections.ts';
import { describeConfig } from '../shared/config/index.ts';
import { componentOf, SERVICE_ENTRIES, serviceConfig } from './service-config.ts';
import { ROOT } from './stack.ts';

type ComposeService = { image?: string; ports?: string[]; environment?: Record<string, string | number>; command?: string[] };
type Compose = { services: Record<string, ComposeService>; 'x-connections': Record<string, string> };
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = Bun.YAML.parse(composeText) as Compose;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8');
const connectionRows = describeConfig(connectionsConfig);
const defaultPort = (url: string) => Number(url.match(/:(\d+)(?:\/|$)/)?.[1]);
const STORES = ['kafka', 'elasticsearch', 'postgres', 'redis'];

/** `NAME=value` lines of .env.example, in order. */
const exampleValues: Record<string, string> = Object.fromEntries(
  envExample.split('\n').filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
/** Names in `${NAME}`, `${NAME:?...}`, `${NAME:-...}` (not `$$NAME`, which compose passes on to the container's shell). */
const referenced = [...new Set([...composeText.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
/** The file as compose reads it with .env.example as .env: its own interpolation, then `$$` → `$`. */
const interpolated = Bun.YAML.parse(
  composeText.replace(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?][^}]*)?\}/g, (_, name: string) => exampleValues[name] ?? '').replaceAll('$$', '$'),
) as Compose;
/** `${NAME:?...}` with NAME in .env.example: a required credential, never a value in the file. */
const fromEnv = (value: unknown, name: string) => typeof value === 'string' && new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`).test(value);

describe('docker-compose.yml and Dockerfile agree with the local stack', () => {
  test('compose runs the same four servers, and none of them publishes a port on the host', () => {
    for (const store of STORES) {
      expect(compose.services[store]).toBeDefined();
      expect(compose.services[store]?.ports).toBeUndefined();
    }
  });

  test('services get their connections through the same variable names the code reads, on the same ports', () => {
    const names = connectionRows.map((r) => r.env).sort();
    expect(Object.keys(compose['x-connections']).sort()).toEqual(names);
    for (const name of names) expect(dockerfile).toMatch(new RegExp(`\\b${name}=`));
    for (const [name, value] of Object.entries(compose['x-connections'])) {
      const row = connectionRows.find((r) => r.env === name);
      expect(defaultPort(value)).toBe(defaultPort(String(row?.default)));
    }
  });

  test('Postgres, Redis and Elasticsearch require passwords from .env, and the services connect with them', () => {
    const pg = compose.services.postgres?.environment ?? {};
    expect(fromEnv(pg.POSTGRES_PASSWORD, 'POSTGRES_PASSWORD')).toBe(true);
    expect(pg.POSTGRES_HOST_AUTH_METHOD).toBeUndefined();
    const redisCommand = compose.services.redis?.command ?? [];
    expect(fromEnv(redisCommand[redisCommand.indexOf('--requirepass') + 1], 'REDIS_PASSWORD')).toBe(true);
    const es = compose.services.elasticsearch?.environment ?? {};
    expect(es['xpack.security.enabled']).toBe('true');
    expect(fromEnv(es.ELASTIC_PASSWORD, 'ELASTIC_PASSWORD')).toBe(true);

    const urls = interpolated['x-connections'];
    const database = new URL(urls.DATABASE_URL!);
    expect([database.username, database.password]).toEqual(['postgres', exampleValues.POSTGRES_PASSWORD!]);
    expect(new URL(urls.REDIS_URL!).password).toBe(exampleValues.REDIS_PASSWORD!);
    const search = new URL(urls.ELASTICSEARCH_URL!);
    expect([search.username, search.password]).toEqual(['elastic', exampleValues.ELASTIC_PASSWORD!]);
    for (const service of ['edge', 'workers', 'query']) {
      expect(interpolated.services[service]?.environment).toMatchObject({ DATABASE_URL: urls.DATABASE_URL, REDIS_URL: urls.REDIS_URL, ELASTICSEARCH_URL: urls.ELASTICSEARCH_URL });
    }
  });

  test('the edge and the gateway hash API keys with AUTH_HASH_KEY from .env', () => {
    for (const service of ['edge', 'query']) expect(fromEnv(compose.services[service]?.environment?.AUTH_HASH_KEY, 'AUTH_HASH_KEY')).toBe(true);
  });

  test('every variable the file uses is in .env.example with a comment above it, and .env stays out of git', () => {
    expect(referenced.sort()).toEqual(['AUTH_HASH_KEY', 'ELASTIC_PASSWORD', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD']);
    const lines = envExample.split('\n');
    for (const name of referenced) {
      const at = lines.findIndex((l) => l.startsWith(`${name}=`));
      expect(at).toBeGreaterThan(0);
      expect(lines[at - 1]).toStartWith('#');
    }
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  test('no password is written in the file itself', () => {
    expect(composeText).not.toMatch(/POSTGRES_HOST_AUTH_METHOD|xpack\.security\.enabled: "false"/);
    for (const value of Object.values(exampleValues)) expect(composeText).not.toContain(value);
    // Every value of a setting named like a secret, and every user:password@ in a URL, is an interpolation.
    for (const [service, { environment = {} }] of Object.entries(compose.services)) {
      for (const [name, value] of Object.entries(environment)) {
        if (/PASSWORD|HASH_KEY|SECRET|REDISCLI_AUTH/.test(name)) expect(`${service}.${name}=${String(value)}`).toMatch(/=\$\{[A-Z_]+:\?[^}]+\}$/);
      }
    }
    for (const url of Object.values(compose['x-connections'])) {
      const userinfo = url.match(/^[a-z]+:\/\/([^@/]*)@/)?.[1];
      if (userinfo !== undefined && userinfo.includes(':')) expect(userinfo).toMatch(/^[a-z]*:\$\{[A-Z_]+:\?[^}]+\}$/);
    }
  });

  test('server versions match the jars the local stack runs', () => {
    const kafkaPom = readFileSync(join(ROOT, 'infra/kafka/pom.xml'), 'utf8');
    const kafkaVersion = kafkaPom.match(/<kafka\.version>([^<]+)</)?.[1];
    expect(compose.services.kafka?.image).toBe(`apache/kafka:${kafkaVersion}`);
    const esPom = readFileSync(join(ROOT, 'infra/elasticsearch/pom.xml'), 'utf8');
    const esVersion = esPom.match(/<(?:es|elasticsearch)\.version>([^<]+)</)?.[1];
    expect(compose.services.elasticsearch?.image).toEndWith(`:${esVersion}`);
  });

  test('the edge and the gateway are published on the ports their configs default to, listening on every interface of their container', () => {
    const defaultOf = (service: 'edge' | 'query', key: string) => componentOf(serviceConfig(service), service).rows.find((r) => r.key === key)?.default;
    const edgePort = defaultOf('edge', 'port');
    expect(compose.services.edge?.ports).toContain(`${edgePort}:${edgePort}`);
    expect(compose.services.edge?.environment).toMatchObject({ EDGE_PORT: Number(edgePort), EDGE_HOSTNAME: '0.0.0.0' });
    const queryPort = defaultOf('query', 'port');
    expect(compose.services.query?.ports).toContain(`${queryPort}:${queryPort}`);
    expect(compose.services.query?.environment).toMatchObject({ QUERY_PORT: Number(queryPort), QUERY_HOSTNAME: '0.0.0.0' });
  });

  test('every service entry point in the repo has a compose service, and the image carries the keys CLI', () => {
    for (const [service, file] of Object.entries(SERVICE_ENTRIES)) {
      if (existsSync(join(ROOT, file))) expect(Object.keys(compose.services)).toContain(service);
    }
    expect(dockerfile).toMatch(/^COPY infra\/keys\.ts /m);
  });
});
