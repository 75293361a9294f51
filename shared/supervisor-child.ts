import { appendFileSync } from 'node:fs';

/**
 * A process for shared/supervisor.test.ts to supervise, told what to do by CHILD_MODE: `serve` runs until SIGTERM
 * and then exits 0, `crash` exits 1 at once, `stubborn` ignores SIGTERM. Each start appends its pid and time to
 * CHILD_STARTS, so a test sees real starts rather than the supervisor's account of them.
 */
const mode = process.env.CHILD_MODE ?? 'serve';
if (process.env.CHILD_STARTS) appendFileSync(process.env.CHILD_STARTS, `${process.pid} ${Date.now()}\n`);
if (mode === 'crash') process.exit(1);
if (mode === 'stubborn') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
else process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 60_000);
