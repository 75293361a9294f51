import { readFileSync, readdirSync } from 'node:fs';

/** Resident memory of a process and all its descendants, in bytes, from /proc (Linux). */
export function treeRss(pid: number): { total: number; max: number; pids: number[] } {
  const pids = descendants(pid);
  let total = 0;
  let max = 0;
  for (const p of pids) {
    const rss = rssOf(p);
    total += rss;
    max = Math.max(max, rss);
  }
  return { total, max, pids };
}

function rssOf(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
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
