import { parseCli, positiveInt } from '../../shared/cli.ts';
import { uuidv7 } from '../../shared/contracts/uuid.ts';

/**
 * An id made the way shared/contracts/uuid.ts once made them (20 concatenated pieces) against Bun.randomUUIDv7, which
 * uuidv7 now calls, same process, same timestamps, in alternating rounds (the order swapped each round, so neither
 * always runs on a warmer JIT), printed as ids per second and the ratio. Each id is written out as UTF-8, as the
 * edge writes every id into a Kafka record: a concatenated string is a rope until it is read, and reading it first
 * flattens it, which is most of what such an id costs.
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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(16 * 256);
let poolAt = pool.length;
/** The concatenating implementation, less its counter, with its random bytes drawn 256 ids at a time as it drew them. */
const ours = (now: number) => {
  if (poolAt >= pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const random = pool.subarray(poolAt, (poolAt += 16));
  const high = Math.floor(now / 2 ** 16);
  const low = now % 2 ** 16;
  return (
    HEX[(high >>> 24) & 0xff]! + HEX[(high >>> 16) & 0xff]! + HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + '-' +
    HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! + '-' + HEX[0x70 | (random[6]! & 0x0f)]! + HEX[random[7]!]! + '-' +
    HEX[0x80 | (random[8]! & 0x3f)]! + HEX[random[9]!]! + '-' +
    HEX[random[10]!]! + HEX[random[11]!]! + HEX[random[12]!]! + HEX[random[13]!]! + HEX[random[14]!]! + HEX[random[15]!]!
  );
};
const bun = (now: number) => uuidv7(now);
const encoder = new TextEncoder();
const out = new Uint8Array(64);

/** ids per second of `make`, each written out as UTF-8; the bytes written are summed so nothing is optimised away. */
function measure(make: (now: number) => string): number {
  const now = Date.now();
  let sink = 0;
  const t = Bun.nanoseconds();
  // Eight ids per millisecond value: the edge stamps bursts of events with the same Date.now().
  for (let i = 0; i < ids; i++) sink += encoder.encodeInto(make(now + (i >>> 3)), out).written;
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
else console.log(`uuidv7: concatenated ${result.oursPerSec.toLocaleString()} ids/s, Bun.randomUUIDv7 ${result.bunPerSec.toLocaleString()} ids/s, concatenated/Bun ${result.ratio} (${rounds} rounds of ${ids.toLocaleString()})`);
