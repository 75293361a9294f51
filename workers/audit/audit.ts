import type { Admin, ConsumedMessage } from '../../shared/kafka/index.ts';
import { readAhead } from './ahead.ts';
import { readExplanations, recordKey, type Explanations } from './dead-letters.ts';
import { rangeSize, topicRange } from './range.ts';
import { readRange } from './read.ts';
import { auditRecords, type Records } from './records.ts';
import type { Copies, Lookup } from './stores.ts';
import { createTally, STORES, type Finding, type Row, type Store } from './tally.ts';

export interface AuditOptions {
  readonly admin: Admin;
  readonly brokers: string;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly from: number;
  readonly to: number;
  readonly source?: string;
  readonly type?: string;
  /** The configured stores; a store not listed is not checked. */
  readonly lookups: Partial<Record<Store, Lookup>>;
  /** Records received before this time (epoch ms) are not checked in Redis: their seen markers may have expired. */
  readonly redisSince?: number;
  /** Records read and looked up together (default 5000). */
  readonly chunkSize?: number;
  /**
   * Chunks whose lookups may be under way while the next is read (default 8); memory holds as many chunks' ids. The
   * first lookups of a run are the slowest (cold connections and plans, 0.3-0.4 s): with 4 the reader stood waiting
   * for them, with 8 it read on (200,000 events, 9 alternating runs: 0.25 s less in the median, less in 7 of 9).
   */
  readonly lookahead?: number;
  /** A store that has not answered a chunk after this long fails the audit with store_timeout (default 60 s). */
  readonly lookupTimeoutMs?: number;
  /** A read of the events or dead-letter topic that gets no record for this long fails with kafka_read_stalled (default 60 s). */
  readonly stallMs?: number;
  readonly maxFindings?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface AuditResult {
  readonly from: string;
  readonly to: string;
  readonly rows: Row[];
  readonly totals: Omit<Row, 'minute' | 'source'>;
  readonly findings: Finding[];
  /** All findings; `findings` holds the first maxFindings of them. */
  readonly findingsTotal: number;
  readonly ok: boolean;
  readonly deadLettersTruncated: boolean;
}

/** `work`, or a rejection with `failure()` once it has taken `ms`. */
function within<T>(work: Promise<T>, ms: number, failure: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(failure()), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

interface Checked {
  /** Records read from the topic, matching the filter or not. */
  readonly read: number;
  readonly records: Records;
  /** Per checked store, in the order of `checked`. */
  readonly copies: Copies[];
}

/**
 * Compares what the events topic holds for [from, to) with what each store holds, chunk by chunk. While one chunk's
 * ids are looked up (every store at once, one request per store), the next chunks are read: memory is `lookahead`
 * chunks of ids plus the per-minute counters and the first maxFindings ids, whatever the range's size.
 */
export async function runAudit({ admin, brokers, topic, dlqTopic, from, to, source, type, lookups, redisSince = 0, chunkSize = 5000, lookahead = 8, lookupTimeoutMs = 60_000, stallMs = 60_000, maxFindings = 1000, onProgress }: AuditOptions): Promise<AuditResult> {
  // Dead letters matter only when counting, so they are read while the range's first chunks are looked up.
  const letters = readExplanations({ admin, brokers, dlqTopic, topic, from, stallMs });
  letters.catch(() => {}); // awaited before the first count; a failure surfaces there
  const ranges = await topicRange(admin, topic, from, to);
  const total = rangeSize(ranges);
  const tally = createTally({ maxFindings });
  const checked = STORES.filter((s) => lookups[s]);
  // Records received before redisSince are not asked of Redis and not counted for it.
  const askRedis = (records: Records, i: number): boolean => records.times[i]! >= redisSince;

  function check(messages: readonly ConsumedMessage[]): Promise<Checked> {
    const records = auditRecords(messages, { source, type });
    const read = messages.length;
    const asked = (s: Store) => (s === 'redis' ? records.ids.filter((_, i) => askRedis(records, i)) : records.ids);
    const late = (s: Store) => () => Object.assign(new Error(`${s} did not answer a chunk of ids within ${lookupTimeoutMs} ms`), { code: 'store_timeout' });
    return Promise.all(checked.map((s) => within(lookups[s]!(asked(s)), lookupTimeoutMs, late(s)))).then((copies) => ({ read, records, copies }));
  }

  function count({ records, copies }: Checked, explanations: Explanations): void {
    const { ids, sources, times, partitions, offsets } = records;
    const uniform = copies.map((c) => c.each);
    // A chunk's records mostly share their minute and source: the row is looked up again only when either changes.
    let rowMs = NaN;
    let rowSource = '';
    let row: Row | undefined;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const src = sources[i] || '(none)';
      const minuteMs = Math.floor(times[i]! / 60_000) * 60_000;
      if (row === undefined || minuteMs !== rowMs || src !== rowSource) {
        row = tally.row(minuteMs, src);
        rowMs = minuteMs;
        rowSource = src;
      }
      row.kafka++;
      const letters = explanations.size > 0 ? explanations.get(recordKey(partitions[i]!, offsets[i]!)) : undefined;
      if (letters) row.deadLettered++;
      for (let k = 0; k < checked.length; k++) {
        const s = checked[k]!;
        if (s === 'redis' && !askRedis(records, i)) continue; // Redis past its seen window
        const n = uniform[k] ?? copies[k]!(id);
        row.stored[s] = (row.stored[s] ?? 0) + Math.min(n, 1);
        if (n > 1) {
          row.duplicated++;
          tally.find({ store: s, id, kind: 'duplicated', minute: row.minute, source: src });
        } else if (n === 0 && !(letters?.has(s) || letters?.has('all'))) {
          row.missing++;
          tally.find({ store: s, id, kind: 'missing', minute: row.minute, source: src });
        }
      }
    }
  }

  let done = 0;
  for await (const chunk of readAhead(readRange({ brokers, topic, ranges, chunkSize, stallMs }), check, { depth: lookahead })) {
    done += chunk.read;
    count(chunk, (await letters).explanations);
    onProgress?.(done, total);
  }
  const { truncated } = await letters;
  const rows = tally.rows();
  const totals = { kafka: 0, stored: { elasticsearch: null, postgres: null, redis: null } as Row['stored'], deadLettered: 0, missing: 0, duplicated: 0 };
  for (const r of rows) {
    totals.kafka += r.kafka;
    totals.deadLettered += r.deadLettered;
    totals.missing += r.missing;
    totals.duplicated += r.duplicated;
    for (const s of STORES) if (r.stored[s] !== null) totals.stored[s] = (totals.stored[s] ?? 0) + r.stored[s]!;
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    rows,
    totals,
    findings: tally.findings(),
    findingsTotal: tally.findingsTotal(),
    ok: totals.missing === 0 && totals.duplicated === 0,
    deadLettersTruncated: truncated,
  };
}
