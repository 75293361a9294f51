import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { createAdmin } from '../shared/kafka/index.ts';
import { connections, newRun, runEnv, storeReaders } from './testing.ts';

// `bun workers/main.ts` as the real process: /readyz names partitions, offsets and store errors, so the listener is
// for this machine unless WORKERS_METRICS_HOSTNAME says otherwise.
const ROOT = join(import.meta.dir, '..');
const run = newRun('http_bind');
const topic = `workers_test_${run.id}`;
const stores = storeReaders();

afterAll(async () => {
  // Nothing is produced to the topic; a broker that creates topics on first use may still have made it.
  const admin = createAdmin({ brokers: connections.kafkaBrokers });
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
  await stores.cleanup(run);
  await stores.close();
});

/** An address of this machine other than loopback, if it has one. */
const publicAddress = () =>
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

/** Starts one worker and returns the port its log names, with a stop function. */
async function startWorker(extra: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, 'workers/main.ts', '--count', '1'], {
    cwd: ROOT,
    env: { ...process.env, ...runEnv(run, topic, extra) },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let output = '';
  void (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stdout.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) output += decoder.decode(r.value, { stream: true });
  })();
  const deadline = Date.now() + 30_000;
  let match: RegExpMatchArray | null = null;
  while (!(match = output.match(/metrics on http:\/\/([^\s/]+):(\d+)\/metrics/))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`the worker did not print its metrics address; output:\n${output}${await new Response(proc.stderr).text()}`);
    }
    await Bun.sleep(100);
  }
  const stop = async () => {
    proc.kill('SIGTERM');
    const code = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => 'still running' as const)]);
    if (code === 'still running') {
      proc.kill('SIGKILL');
      await proc.exited;
    }
  };
  return { hostname: match[1]!, port: Number(match[2]), stop };
}

const status = (url: string) => fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 'refused' as const);

describe('the workers metrics listener', () => {
  test('listens on loopback by default: /healthz answers on 127.0.0.1 and a non-loopback address of the machine is refused', async () => {
    const worker = await startWorker();
    try {
      expect(worker.hostname).toBe('127.0.0.1');
      expect(await status(`http://127.0.0.1:${worker.port}/healthz`)).toBe(200);
      const address = publicAddress();
      if (address !== undefined) expect(await status(`http://${address}:${worker.port}/healthz`)).toBe('refused');
    } finally {
      await worker.stop();
    }
  }, 60_000);

  test('with WORKERS_METRICS_HOSTNAME=0.0.0.0 it answers on the machine\'s other addresses too', async () => {
    const address = publicAddress();
    if (address === undefined) return; // a machine with loopback only has nothing to show here
    const worker = await startWorker({ WORKERS_METRICS_HOSTNAME: '0.0.0.0' });
    try {
      expect(await status(`http://${address}:${worker.port}/healthz`)).toBe(200);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
