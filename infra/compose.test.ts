import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionsConfig } from '../shared/config/connections.ts';
import { describeConfig } from '../shared/config/index.ts';
import { edgeConfig } from '../edge/config.ts';
import { ROOT } from './stack.ts';

type ComposeService = { image?: string; ports?: string[]; environment?: Record<string, string | number>; command?: string[] };
const compose = Bun.YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  'x-connections': Record<string, string>;
};
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const connectionRows = describeConfig(connectionsConfig);
const defaultPort = (url: string) => Number(url.match(/:(\d+)(?:\/|$)/)?.[1]);

describe('docker-compose.yml and Dockerfile agree with the local stack', () => {
  test('compose runs the same four servers on the same ports as the local stack', () => {
    const expected: Record<string, string> = { kafka: 'kafkaBrokers', elasticsearch: 'elasticsearchUrl', postgres: 'databaseUrl', redis: 'redisUrl' };
    for (const [service, key] of Object.entries(expected)) {
      const row = connectionRows.find((r) => r.key === key);
      const port = defaultPort(String(row?.default));
      expect(compose.services[service]?.ports).toContain(`${port}:${port}`);
    }
  });

  test('services get their connections through the same variable names the code reads', () => {
    const names = connectionRows.map((r) => r.env).sort();
    expect(Object.keys(compose['x-connections']).sort()).toEqual(names);
    for (const name of names) expect(dockerfile).toMatch(new RegExp(`\\b${name}=`));
    for (const [name, value] of Object.entries(compose['x-connections'])) {
      const row = connectionRows.find((r) => r.env === name);
      expect(defaultPort(value)).toBe(defaultPort(String(row?.default)));
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

  test('the edge is published on the port its config defaults to', () => {
    const edgePort = describeConfig(edgeConfig).find((r) => r.key === 'port')?.default;
    expect(compose.services.edge?.ports).toContain(`${edgePort}:${edgePort}`);
    expect(compose.services.edge?.environment?.EDGE_PORT).toBe(Number(edgePort));
  });

  test('every service entry point in the repo has a compose service', () => {
    const entries: Record<string, string> = { edge: 'edge/server.ts', workers: 'workers/main.ts', query: 'query/server.ts' };
    for (const [service, file] of Object.entries(entries)) {
      if (existsSync(join(ROOT, file))) expect(Object.keys(compose.services)).toContain(service);
    }
  });
});
