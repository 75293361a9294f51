import { join } from 'node:path';
import type { ClientRun } from './client.ts';

export type { ClientRun } from './client.ts';

export interface BareClientOptions {
  brokers: string;
  topic: string;
  seconds: number;
  /** One producer per process, as the edge has one per process. */
  processes: number;
  /** Groups of 100 records in flight at once (wrk's batch connections). */
  window: number;
  lingerMs: string;
  compression: string;
}

/** Runs bench/edge/client.ts (the edge's records through shared/kafka alone) and returns its result line. */
export async function runBareClient({ brokers, topic, seconds, processes, window, lingerMs, compression }: BareClientOptions): Promise<ClientRun> {
  const args = ['--brokers', brokers, '--topic', topic, '--seconds', String(seconds), '--processes', String(processes), '--window', String(window), '--linger-ms', lingerMs, '--compression', compression];
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'client.ts'), ...args], { stdout: 'pipe', stderr: 'inherit' });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`bench/edge/client.ts exited with ${proc.exitCode}`);
  const run = JSON.parse(out.trim().split('\n').at(-1)!) as ClientRun;
  if (run.failed > 0) throw new Error(`${run.failed} deliveries failed: ${run.firstError}`);
  return run;
}
