export const STORES = ['elasticsearch', 'postgres', 'redis'] as const;
export type Store = (typeof STORES)[number];

/** One table row: events received in one minute from one source, and what became of them. */
export interface Row {
  /** ISO minute, e.g. 2025-05-01T12:34Z. */
  readonly minute: string;
  readonly source: string;
  kafka: number;
  /** Per store: copies found; null when the store was not checked (not configured, or Redis past its seen window). */
  stored: Record<Store, number | null>;
  deadLettered: number;
  /** (store, event) pairs absent with no dead letter to explain them. */
  missing: number;
  /** (store, event) pairs held more than once. */
  duplicated: number;
}

export interface Finding {
  readonly store: Store;
  readonly id: string;
  readonly kind: 'missing' | 'duplicated';
  readonly minute: string;
  readonly source: string;
}

/**
 * Counters per (minute, source) and the first `maxFindings` ids found missing or duplicated: memory grows with the
 * minutes and sources of the range, never with the number of events.
 */
export function createTally({ maxFindings = 1000 }: { maxFindings?: number } = {}) {
  // Minute, then source: no key string to build for each of the range's records.
  const rows = new Map<number, Map<string, Row>>();
  const findings: Finding[] = [];
  let findingsTotal = 0;
  return {
    row(minuteMs: number, source: string): Row {
      let minute = rows.get(minuteMs);
      if (!minute) rows.set(minuteMs, (minute = new Map()));
      let row = minute.get(source);
      if (!row) {
        row = { minute: `${new Date(minuteMs).toISOString().slice(0, 16)}Z`, source, kafka: 0, stored: { elasticsearch: null, postgres: null, redis: null }, deadLettered: 0, missing: 0, duplicated: 0 };
        minute.set(source, row);
      }
      return row;
    },
    find(f: Finding): void {
      findingsTotal++;
      if (findings.length < maxFindings) findings.push(f);
    },
    rows: (): Row[] => [...rows.values()].flatMap((m) => [...m.values()]).sort((a, b) => (a.minute === b.minute ? a.source.localeCompare(b.source) : a.minute < b.minute ? -1 : 1)),
    findings: () => findings,
    findingsTotal: () => findingsTotal,
  };
}
export type Tally = ReturnType<typeof createTally>;
