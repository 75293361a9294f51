import type { ConsumedMessage } from '../../shared/kafka/index.ts';
import type { Admin } from '../../shared/kafka/index.ts';
import { readExplanations, recordKey } from './dead-letters.ts';
import { rangeSize, topicRange } from './range.ts';
import { readRange } from './read.ts';
import type { Lookup } from './stores.ts';
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
  readonly chunkSize?: number;
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

const text = new TextDecoder();
const header = (m: ConsumedMessage, name: string): string => {
  for (const [n, v] of m.headers) if (n === name) return v ? text.decode(v) : '';
  return '';
};

/**
 * Compares what the events topic holds for [from, to) with what each store holds, chunk by chunk: memory is one chunk
 * of records plus the per-minute counters and the first maxFindings ids, whatever the range's size.
 */
export async function runAudit({ admin, brokers, topic, dlqTopic, from, to, source, type, lookups, redisSince = 0, chunkSize = 5000, maxFindings = 1000, onProgress }: AuditOptions): Promise<AuditResult> {
  const ranges = await topicRange(admin, topic, from, to);
  const total = rangeSize(ranges);
  const { explanations, truncated } = await readExplanations({ admin, brokers, dlqTopic, topic, from });
  const tally = createTally({ maxFindings });
  const checked = STORES.filter((s) => lookups[s]);
  let done = 0;
  for await (const all of readRange({ brokers, topic, ranges, chunkSize })) {
    done += all.length;
    const chunk = all.filter((m) => (source === undefined || header(m, 'source') === source) && (type === undefined || header(m, 'type') === type));
    const ids = chunk.map((m) => header(m, 'id'));
    const found = await Promise.all(checked.map((s) => lookups[s]!(s === 'redis' ? ids.filter((_, i) => chunk[i]!.timestamp >= redisSince) : ids)));
    chunk.forEach((m, i) => {
      const id = ids[i]!;
      const src = header(m, 'source') || '(none)';
      const row = tally.row(Math.floor(m.timestamp / 60_000) * 60_000, src);
      row.kafka++;
      const letters = explanations.get(recordKey(m.partition, m.offset));
      if (letters) row.deadLettered++;
      checked.forEach((s, k) => {
        const n = found[k]!.get(id);
        if (n === undefined) return; // Redis past its seen window
        row.stored[s] = (row.stored[s] ?? 0) + Math.min(n, 1);
        if (n > 1) {
          row.duplicated++;
          tally.find({ store: s, id, kind: 'duplicated', minute: row.minute, source: src });
        } else if (n === 0 && !(letters?.has(s) || letters?.has('all'))) {
          row.missing++;
          tally.find({ store: s, id, kind: 'missing', minute: row.minute, source: src });
        }
      });
    });
    onProgress?.(done, total);
  }
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
