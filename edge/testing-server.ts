/**
 * Test helpers for `bun edge/server.ts` as a real process tree over real HTTP (re-exported by testing.ts).
 */
import { BROKERS } from '../shared/kafka/testing.ts';
import { keyStoreEnv } from '../shared/testing/keys.ts';
import { waitFor } from '../shared/testing/wait.ts';
import { captureOutput } from '../shared/testing/output.ts';

export { keyStoreEnv };

export interface EdgeServerProcess {
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything the process printed so far, stdout and stderr. */
  output(): string;
  /** Pids of the processes that serve (the process itself when EDGE_PROCESSES is 1, else its children). */
  servingPids: number[];
  /** Each serving process's loopback admin port (/metrics), in the order of servingPids. */
  adminPorts: number[];
  /** SIGTERM, then SIGKILL after 10 s; then any child left behind. */
  stop(): Promise<void>;
}

/**
 * `bun edge/server.ts` as a real process over real HTTP, started with `env` on top of this process's; resolves once
 * every process listens. The admin ports are free ones the OS picks unless `env` sets EDGE_ADMIN_PORT. Keys are on
 * unless `env` says AUTH=off: pass a key store's `env` (shared/auth/testing.ts) with it.
 */
export async function spawnEdgeServer(env: Record<string, string>, processes = Number(env.EDGE_PROCESSES ?? 1)): Promise<EdgeServerProcess> {
  const root = `${import.meta.dir}/..`;
  const proc = Bun.spawn([process.execPath, `${root}/edge/server.ts`], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: BROKERS, EDGE_HOSTNAME: '127.0.0.1', EDGE_ADMIN_PORT: '0', EDGE_PROCESSES: String(processes), ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const output = captureOutput(proc);
  // Every serving process prints one "listening" line once its producer is up and its server bound.
  await waitFor(() => (output().match(/: listening on /g) ?? []).length === processes || proc.exitCode !== null, 30_000, 'the edge processes to listen');
  if (proc.exitCode !== null) throw new Error(`edge exited early (${proc.exitCode}):\n${output()}`);
  const listening = [...output().matchAll(/edge (\d+): listening on .*metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/g)];
  const servingPids = listening.map((m) => Number(m[1]));
  return {
    proc,
    output,
    servingPids,
    adminPorts: listening.map((m) => Number(m[2])),
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([proc.exited, Bun.sleep(10_000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      for (const pid of servingPids) {
        if (pid === proc.pid) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
