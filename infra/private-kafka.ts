import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createStack, down, ROOT, up } from './stack.ts';

/**
 * A Kafka broker of a test's own, on spare ports under its own STACK_HOME, that the test can stop and start again
 * mid-run without touching the broker everything else uses. Tests outside infra/ run it as a process:
 *
 *   STACK_HOME=/tmp/x KAFKA_BROKERS=127.0.0.1:19192 STACK_KAFKA_CONTROLLER_PORT=19193 bun infra/private-kafka.ts up|down
 *
 * Only Kafka is managed: the other stores point at hosts that do not resolve, so the stack never starts or stops
 * them. The jars the main stack already resolved are linked in (same pom, so the same stamp) instead of fetched again.
 */
const [command] = process.argv.slice(2);
const home = process.env.STACK_HOME;
if ((command !== 'up' && command !== 'down') || !home || !process.env.KAFKA_BROKERS) {
  console.error('usage: STACK_HOME=<dir> KAFKA_BROKERS=127.0.0.1:<port> [STACK_KAFKA_CONTROLLER_PORT=<port>] bun infra/private-kafka.ts up|down');
  process.exit(2);
}

const sharedLib = join(ROOT, '.stack', 'kafka', 'lib');
const ownLib = join(home, 'kafka', 'lib');
if (command === 'up' && existsSync(join(sharedLib, '.pom-stamp')) && !isPresent(ownLib)) {
  mkdirSync(join(home, 'kafka'), { recursive: true });
  symlinkSync(sharedLib, ownLib);
}

const stack = createStack(
  {
    STACK_KAFKA_HEAP_MB: '512',
    ...process.env,
    STACK_KAFKA_BROKERS: '1',
    REDIS_URL: 'redis://cache.invalid:6379',
    ELASTICSEARCH_URL: 'http://search.invalid:9200',
    DATABASE_URL: 'postgres://postgres@db.invalid:5432/test',
  },
  (line) => console.log(line),
);

try {
  if (command === 'up') await up(stack, ['kafka']);
  else await down(stack, ['kafka']);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
