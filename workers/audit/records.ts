import type { ConsumedMessage } from '../../shared/kafka/index.ts';

/**
 * What the audit needs of a chunk of records, one array per field: the id, source and receive time from the headers
 * and the record itself, and where the record sits (for dead letters). Event bodies are never decoded.
 */
export interface Records {
  readonly ids: string[];
  /** '' for a record without a source header. */
  readonly sources: string[];
  /** Record timestamps (the edge's receive time), epoch ms. */
  readonly times: number[];
  readonly partitions: number[];
  readonly offsets: bigint[];
}

export interface RecordFilter {
  readonly source?: string;
  readonly type?: string;
}

const text = new TextDecoder();
const decode = (v: Uint8Array | null): string => (v ? text.decode(v) : '');

/** The records of `messages` that match `filter`, reading each record's headers once (the first of a repeated name counts). */
export function auditRecords(messages: readonly ConsumedMessage[], { source, type }: RecordFilter = {}): Records {
  const out: Records = { ids: [], sources: [], times: [], partitions: [], offsets: [] };
  for (const m of messages) {
    let id: string | undefined;
    let src: string | undefined;
    let typ: string | undefined;
    for (const [name, value] of m.headers) {
      if (name === 'id') id ??= decode(value);
      else if (name === 'source') src ??= decode(value);
      else if (name === 'type' && type !== undefined) typ ??= decode(value);
    }
    if (source !== undefined && (src ?? '') !== source) continue;
    if (type !== undefined && (typ ?? '') !== type) continue;
    out.ids.push(id ?? '');
    out.sources.push(src ?? '');
    out.times.push(m.timestamp);
    out.partitions.push(m.partition);
    out.offsets.push(m.offset);
  }
  return out;
}
