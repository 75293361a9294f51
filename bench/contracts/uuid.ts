import { parseCli, positiveInt } from '../../shared/cli.ts';
import { uuidv7 } from '../../shared/contracts/uuid.ts';

/**
 * shared/contracts/uuid.ts's uuidv7 against Bun.randomUUIDv7, same process, same timestamps, in alternating rounds
 * (the order swapped each round, so neither always runs on a warmer JIT), printed as ids per second and the ratio.
 *
 *   bun bench/contracts/uuid.ts [--ids N] [--rounds N] [--json]
 */
const USAGE = `usage: bun bench/contracts/uuid.ts [--ids N] [--rounds N] [--json]
  --ids N      ids per round and implementation (default 1,000,000)
  --rounds N   alternating rounds (default 6)
  --json       print the result as one JSON line`;
const { values } = parseCli({ usage: USAGE, options: { ids: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean' } } });
const ids = positiveInt('ids', values.ids, 1_000_000);
const rounds = positiveInt('rounds', values.rounds, 6);

const ours = (now: number) => uuidv7(now);
const bun = (now: number) => Bun.randomUUIDv7('hex', now);

/** ids per second of `make`; the ids' lengths are summed so the calls cannot be optimised away. */
function measure(make: (now: number) => string): number {
  const now = Date.now();
  let sink = 0;
  const t = Bun.nanoseconds();
  // Eight ids per millisecond value: the edge stamps bursts of events with the same Date.now().
  for (let i = 0; i < ids; i++) sink += make(now + (i >>> 3)).length;
  const seconds = (Bun.nanoseconds() - t) / 1e9;
  if (sink !== ids * 36) throw new Error('an id was not 36 characters');
  return ids / seconds;
}

const totals = { ours: 0, bun: 0 };
measure(ours);
measure(bun);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? (['ours', 'bun'] as const) : (['bun', 'ours'] as const);
  for (const name of order) totals[name] += measure(name === 'ours' ? ours : bun);
}
const result = { ids, rounds, oursPerSec: Math.round(totals.ours / rounds), bunPerSec: Math.round(totals.bun / rounds), ratio: Number((totals.ours / totals.bun).toFixed(2)) };
if (values.json) console.log(JSON.stringify(result));
else console.log(`uuidv7: ours ${result.oursPerSec.toLocaleString()} ids/s, Bun.randomUUIDv7 ${result.bunPerSec.toLocaleString()} ids/s, ours/Bun ${result.ratio} (${rounds} rounds of ${ids.toLocaleString()})`);
