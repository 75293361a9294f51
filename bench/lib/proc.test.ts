import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { treeRss } from './proc.ts';

const vmRss = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s*(\d+)/m)?.[1] ?? 0) * 1024;

test("a process tree's RSS counts the binary its processes share once, not once per process", async () => {
  // A parent that starts two children of the same binary, as the edge's supervisor does.
  const script = `const kids = [0, 1].map(() => Bun.spawn([process.execPath, '-e', 'await Bun.sleep(30000)']));
    console.log(kids.map((k) => k.pid).join(' ')); await Bun.sleep(30000);`;
  const parent = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe' });
  let kids: number[] = [];
  try {
    const reader = parent.stdout.getReader();
    const line = new TextDecoder().decode((await reader.read()).value);
    kids = line.trim().split(' ').map(Number);
    await Bun.sleep(300);
    const tree = treeRss(parent.pid);
    expect(tree.pids).toEqual(expect.arrayContaining([parent.pid, ...kids]));
    const summed = [parent.pid, ...kids].reduce((n, p) => n + vmRss(p), 0);
    expect(tree.max).toBeGreaterThan(0);
    expect(tree.total).toBeGreaterThanOrEqual(tree.max * 0.9);
    // Each Bun process maps tens of MB of the same executable; counted once, the tree is well under the plain sum.
    expect(tree.total).toBeLessThan(summed * 0.8);
  } finally {
    for (const kid of kids) process.kill(kid, 'SIGKILL');
    parent.kill('SIGKILL');
    await parent.exited;
  }
});
