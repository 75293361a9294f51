import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A platform process the run watches: found by the port it listens on, or given by pid. */
export interface Watched {
  readonly name: string;
  readonly pid: number;
  peakBytes: number;
  alive: boolean;
}

/** Socket inodes listening on `port` (TCP, IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** Pids holding a socket listening on `port` (every edge process shares its port with SO_REUSEPORT). */
export function pidsListeningOn(port: number): number[] {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const dir of readdirSync('/proc')) {
    if (!/^\d+$/.test(dir)) continue;
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${dir}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${dir}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        pids.push(Number(dir));
        break;
      }
    }
  }
  return pids;
}

/** VmHWM (peak) and VmRSS of a process in bytes, or undefined once it has exited (or is a zombie). */
export function memoryOf(pid: number): { peak: number; rss: number } | undefined {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  if (/^State:\s+Z/m.test(status)) return undefined;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

/** Refreshes each process' peak and whether it still runs; a process that is gone keeps the last peak seen. */
export function sample(watched: readonly Watched[]): void {
  for (const w of watched) {
    const m = memoryOf(w.pid);
    if (!m) {
      w.alive = false;
      continue;
    }
    w.peakBytes = Math.max(w.peakBytes, m.peak, m.rss);
  }
}

/** The processes listening on each named port, plus `pids` given by hand. */
export function findPlatform(ports: ReadonlyArray<readonly [name: string, port: number]>, pids: readonly number[] = []): Watched[] {
  const out: Watched[] = [];
  const seen = new Set<number>();
  for (const [name, port] of ports) {
    for (const pid of pidsListeningOn(port)) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      out.push({ name: `${name} :${port}`, pid, peakBytes: 0, alive: true });
    }
  }
  for (const pid of pids) if (!seen.has(pid)) out.push({ name: 'given', pid, peakBytes: 0, alive: true });
  sample(out);
  return out;
}
