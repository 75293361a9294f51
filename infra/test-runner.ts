import { down, up, type Stack } from './stack.ts';

/**
 * `npm test`: bring the stack up if it is not (remembering what this run started), run `bun test` over the whole
 * workspace, stop only what it started, and end with the plain `N passed, N failed` line CI logs are read by.
 */
export async function runTests(stack: Stack, args: string[], log: (line: string) => void): Promise<number> {
  const started = await up(stack);
  log(started.length ? `started for this run: ${started.join(', ')}` : 'stack was already up');
  let code = 1;
  let counts = { pass: 0, fail: 0, skip: 0 };
  try {
    // bunfig's [test] timeout is not applied by bun 1.4; integration tests against real servers need more than 5 s.
    const timeout = args.some((a) => a.startsWith('--timeout')) ? [] : ['--timeout=60000'];
    const proc = Bun.spawn([process.execPath, 'test', ...timeout, ...args], {
      cwd: stack.ctx.root,
      stdout: 'inherit',
      stderr: 'pipe',
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
    });
    let text = '';
    const decoder = new TextDecoder();
    const reader = proc.stderr.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      process.stderr.write(r.value);
      text += decoder.decode(r.value, { stream: true });
    }
    code = await proc.exited;
    counts = parseCounts(text);
  } finally {
    if (started.length) await down(stack, started);
  }
  console.log(`\n${counts.pass} passed, ${counts.fail} failed${counts.skip ? `, ${counts.skip} skipped` : ''}`);
  if (code === 0 && counts.pass === 0) {
    console.error('no test ran');
    return 1;
  }
  return code;
}

/** bun test prints ` 12 pass`, ` 0 fail`, ` 1 skip` lines in its summary. */
export function parseCounts(output: string): { pass: number; fail: number; skip: number } {
  const grab = (word: string) => {
    const matches = [...output.matchAll(new RegExp(`^\\s*(\\d+) ${word}$`, 'gm'))];
    return Number(matches.at(-1)?.[1] ?? 0);
  };
  return { pass: grab('pass'), fail: grab('fail'), skip: grab('skip') };
}
