/**
 * What the stack needs to know about one server it manages. `infra/stack.ts` drives these in order: install (once,
 * idempotent, cached under .stack/), then spawn `command()` detached with stdout/stderr to `.stack/logs/<name>.log`,
 * then poll `ready()` until it answers or the deadline passes.
 */
export interface StackContext {
  /** Absolute path of the repository root. */
  root: string;
  /** Absolute path of the gitignored state folder (`.stack/`): data, logs, downloaded jars, pid files. */
  home: string;
  /** Writes one short progress line (the CLI prefixes it with the step's time). */
  log: (line: string) => void;
}

export interface SpawnSpec {
  cmd: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface ManagedService {
  readonly name: string;
  /**
   * Services of one group (the nodes of a KRaft quorum) are spawned together before the stack waits for any of them,
   * and stopped together: no node of a quorum is ready until most of its voters run.
   */
  readonly group?: string;
  /** Ports this service listens on; `stack down` checks that none is still listening. */
  readonly ports: number[];
  /** Downloads/compiles what is missing. Must be idempotent and fast when nothing changed. */
  install(ctx: StackContext): Promise<void>;
  /** Prepares data folders (format storage, write config files) and returns what to spawn. */
  prepare(ctx: StackContext): Promise<SpawnSpec>;
  /** One readiness probe; true when the server accepts work. */
  ready(ctx: StackContext): Promise<boolean>;
  /** Runs once the server is ready after the stack started it (e.g. create the database). */
  afterStart?(ctx: StackContext): Promise<void>;
  /** Upper bound for readiness after spawn, in ms. */
  readonly readyTimeoutMs: number;
}

/** Runs a command to completion, returning its output; throws with the tail of stderr on failure. */
export async function run(cmd: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) {
    const tail = (err.trim() || out.trim()).split('\n').slice(-15).join('\n');
    throw new Error(`${cmd.join(' ')} exited with ${code}:\n${tail}`);
  }
  return out;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export async function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: host, port, socket: { data() {}, error() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** True when we may install Debian packages ourselves: root with apt-get on PATH. */
export function canApt(): boolean {
  return process.getuid?.() === 0 && Bun.which('apt-get') !== null;
}

let aptUpdated = false;
/** Installs Debian packages (running `apt-get update` once per process first, as Debian's lists may be stale). */
export async function aptInstall(ctx: StackContext, packages: string[]): Promise<void> {
  if (!canApt()) {
    throw new Error(`missing ${packages.join(', ')}. Install it: sudo apt-get install -y ${packages.join(' ')} (Debian/Ubuntu) or brew install ${packages.join(' ')} (macOS)`);
  }
  ctx.log(`installing ${packages.join(', ')} from Debian packages`);
  if (!aptUpdated) {
    await run(['apt-get', 'update', '-qq']);
    aptUpdated = true;
  }
  await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/**
 * Sends `hello` over a raw TCP socket and resolves with `accept(firstReply)`, false on any error, close or after
 * 1 s: a readiness probe that needs no client library (the stack runs before the services' packages matter).
 */
export async function probeSocket(port: number, hello: string | Uint8Array, accept: (reply: Uint8Array) => boolean, host = '127.0.0.1'): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  const timer = setTimeout(() => resolve(false), 1000);
  try {
    await Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.write(hello);
        },
        data(s, chunk) {
          resolve(accept(chunk));
          s.end();
        },
        error: () => resolve(false),
        close: () => resolve(false),
      },
    });
  } catch {
    resolve(false);
  }
  const ok = await promise;
  clearTimeout(timer);
  return ok;
}
