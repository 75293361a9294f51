/**
 * A Kafka broker of the test's own, which it may stop and start again mid-run, started as a process
 * (`bun infra/private-kafka.ts up|down`): the broker on 9092 is shared with every other test and is never stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateKafka {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS and the clients. */
  brokers: string;
  /** Starts the broker (or finds it up) and resolves once it is ready. */
  up(): Promise<void>;
  /** Stops the broker and resolves once nothing listens on its ports. */
  down(): Promise<void>;
  /** Stops the broker if it runs and deletes its data and logs. */
  remove(): Promise<void>;
}

const ROOT = join(import.meta.dir, '..');

/** A broker on `port` (controller on `port + 1`) with its own STACK_HOME under the temp folder. */
export function privateKafka({ what, port, heapMb = 512, timeoutMs = 180_000 }: { what: string; port: number; heapMb?: number; timeoutMs?: number }): PrivateKafka {
  const home = mkdtempSync(join(tmpdir(), `event-lens-${what}-kafka-`));
  const brokers = `127.0.0.1:${port}`;
  const env = { ...process.env, STACK_HOME: home, KAFKA_BROKERS: brokers, STACK_KAFKA_CONTROLLER_PORT: String(port + 1), STACK_KAFKA_HEAP_MB: String(heapMb) };

  async function run(command: 'up' | 'down'): Promise<void> {
    const proc = Bun.spawn([process.execPath, join(ROOT, 'infra/private-kafka.ts'), command], { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`private Kafka ${command} on ${brokers} exited with ${code}:\n${out}${err}`);
  }

  return {
    brokers,
    up: () => run('up'),
    down: () => run('down'),
    async remove() {
      try {
        await run('down');
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}
