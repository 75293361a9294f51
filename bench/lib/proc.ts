import { readFileSync, readdirSync } from 'node:fs';

/**
 * Resident memory of a process and all its descendants, in bytes, from /proc (Linux). `max` is the largest one
 * process's VmRSS. `total` is the tree's: each process's anonymous and shared-memory pages, plus the file pages of the
 * process mapping the most of them, once. A plain sum of VmRSS counts a file page (the Bun or JVM binary, librdkafka)
 * once per process mapping it: an idle edge of a supervisor and two servers read 153 MB summed, 32-42 MB of each
 * process being the same executable's pages. Processes spawned (not forked) share no anonymous pages, and the
 * processes of one tree run the same binary, so the largest RssFile stands for the tree's file pages.
 */
export function treeRss(pid: number): { total: number; max: number; pids: number[] } {
  const pids = descendants(pid);
  let own = 0;
  let files = 0;
  let max = 0;
  for (const p of pids) {
    const m = memoryOf(p);
    own += m.anon + m.shmem;
    files = Math.max(files, m.file);
    max = Math.max(max, m.rss);
  }
  return { total: own + files, max, pids };
}

const STATUS_FIELDS = { rss: /^VmRSS:\s*(\d+)/m, anon: /^RssAnon:\s*(\d+)/m, file: /^RssFile:\s*(\d+)/m, shmem: /^RssShmem:\s*(\d+)/m };

function memoryOf(pid: number): { rss: number; anon: number; file: number; shmem: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const bytes = (field: RegExp) => Number(status.match(field)?.[1] ?? 0) * 1024;
    return { rss: bytes(STATUS_FIELDS.rss), anon: bytes(STATUS_FIELDS.anon), file: bytes(STATUS_FIELDS.file), shmem: bytes(STATUS_FIELDS.shmem) };
  } catch {
    return { rss: 0, anon: 0, file: 0, shmem: 0 };
  }
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

/** Samples treeRss every intervalMs until stopped; returns the peak of the largest single process and of the tree. */
export function sampleRss(pid: number, intervalMs = 250) {
  let peakMax = 0;
  let peakTotal = 0;
  const timer = setInterval(() => {
    const r = treeRss(pid);
    peakMax = Math.max(peakMax, r.max);
    peakTotal = Math.max(peakTotal, r.total);
  }, intervalMs);
  return () => {
    clearInterval(timer);
    return { peakProcessBytes: peakMax, peakTotalBytes: peakTotal };
  };
}

// USER_HZ: /proc/<pid>/stat counts CPU time in clock ticks of 1/100 s on every Linux architecture the
// benches run on (getconf CLK_TCK), whatever the kernel's own tick rate.
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process and its descendants have used so far, from /proc/<pid>/stat fields 14 and
 * 15. Read before and after a run: the difference is what the run cost the tree. A process that exits in between
 * takes its ticks with it, so read it around a run in which the tree stays up.
 */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of descendants(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // After the command name in parentheses: state is field 3, so utime (14) and stime (15) are at 11 and 12.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited while we looked
    }
  }
  return ticks / TICKS_PER_SECOND;
}
