import type { Client, estypes } from '@elastic/elasticsearch';
import { encodeEvent, type StampedEvent } from '../../../shared/contracts/index.ts';
import { dlq, retry, type Outcome } from '../../outcomes.ts';
import type { ElasticsearchConfig } from './config.ts';
import { decideBulk, type AttemptKind, type BulkAttempt, type BulkItem, type Decision, type SalvageReason } from './retry.ts';
import { indexNameFor } from './template.ts';

/** An event ready to send: its action line, its source bytes, their size, and where its outcome goes. */
interface Prepared {
  readonly position: number;
  /** With its newline. */
  readonly action: string;
  readonly source: Uint8Array;
  readonly bytes: number;
}

export interface BulkWriterOptions {
  readonly client: Client;
  readonly config: Pick<ElasticsearchConfig, 'indexPrefix' | 'maxBulkBytes' | 'dailyIndexDaysBack' | 'dailyIndexDaysAhead'>;
  /** Told how many events were stored with their data unindexed, per reason (the workers count them in a metric). */
  readonly onSalvaged?: (reason: SalvageReason, count: number) => void;
}

type WindowConfig = BulkWriterOptions['config'];

/**
 * `create` with `_id` = event id rather than `index`: the first write wins and a re-delivery is a 409 that counts as
 * ok (see retry.ts), so a duplicate neither rewrites the document (a delete + add inside Lucene) nor bumps its
 * version, and the id behaves like the idempotency key the edge promises. The index is derived from the event's own
 * day, so a re-delivery always meets its earlier copy.
 */
function prepare(event: StampedEvent, position: number, config: WindowConfig, salvage = false): Prepared | Outcome {
  const index = indexNameFor(config.indexPrefix, event, config);
  if (index === undefined) return dlq('invalid_document', `timestamp ${JSON.stringify(event.timestamp)} is not an ISO date`);
  // Concatenated rather than JSON.stringify of an object: one of these per event.
  const action = `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(event.id)}}}\n`;
  // The bytes the event came from Kafka as, when it came unchanged (encodeEvent): no encoding, and their size is known.
  const source = salvage ? salvagedSource(event) : encodeEvent(event);
  return { position, action, source, bytes: Buffer.byteLength(action) + source.byteLength + 1 };
}

/**
 * The event with its data moved to `data_unindexed`, which the template maps as an object the node keeps but never
 * parses (so no value in it can conflict with a mapping), and `data` left empty. The gateway reads it back as `data`
 * (query/search.ts eventOfHit).
 */
function salvagedSource(event: StampedEvent): Uint8Array {
  const { data, ...envelope } = event;
  return Buffer.from(JSON.stringify({ ...envelope, data: {}, data_unindexed: data }));
}

/**
 * The NDJSON body as one buffer: given a string, the client measures it (Buffer.byteLength over every request) and
 * fetch encodes it again, which was ~5% of a worker's CPU in a bench:workers profile.
 */
function bodyOf(items: readonly Prepared[]): Buffer {
  let size = 0;
  for (const item of items) size += item.bytes;
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { action, source } of items) {
    at += body.write(action, at);
    body.set(source, at);
    at += source.byteLength;
    body[at++] = 0x0a;
  }
  return body;
}

/** Greedy split into requests under maxBytes, keeping input order. */
function chunk(prepared: readonly Prepared[], maxBytes: number): Prepared[][] {
  const chunks: Prepared[][] = [];
  let current: Prepared[] = [];
  let size = 0;
  for (const item of prepared) {
    if (current.length > 0 && size + item.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

async function send(client: Client, items: readonly Prepared[]): Promise<BulkAttempt> {
  try {
    // A Buffer goes through the client's NDJSON serializer untouched (it only serialises arrays), hence the cast.
    // filter_path keeps only what retry.ts reads (status and error per item): the full answer repeats index, id,
    // version, shards and seq_no for every event, and both the search node and the worker pay to write and parse it.
    const response = await client.bulk<string>({ operations: bodyOf(items) as unknown as estypes.BulkRequest<string>['operations'], filter_path: 'errors,items.*.status,items.*.error' });
    return { items: response.items as BulkItem[] };
  } catch (error) {
    return { error };
  }
}

/** Sends the prepared items in requests under maxBulkBytes and records one decision per item at its position. */
async function sendAll(client: Client, prepared: readonly Prepared[], maxBytes: number, kind: AttemptKind, decisions: Decision[]): Promise<void> {
  // Sequential on purpose: the worker's batch is the unit of parallelism, and one request at a time per sink keeps
  // a throttled cluster from being hit by every chunk at once.
  for (const items of chunk(prepared, maxBytes)) {
    const decided = decideBulk(await send(client, items), items.length, kind);
    items.forEach((item, i) => {
      decisions[item.position] = decided[i] ?? retry('elasticsearch_server_error');
    });
  }
}

/** Prepares each event (salvaged copies when `salvage`), deciding at once those that cannot be sent at all. */
function prepareAll(events: readonly StampedEvent[], positions: readonly number[], config: WindowConfig, salvage: boolean, decisions: Decision[]): Prepared[] {
  const toSend: Prepared[] = [];
  for (const position of positions) {
    const prepared = prepare(events[position]!, position, config, salvage);
    if (!('action' in prepared)) decisions[position] = prepared;
    else if (prepared.bytes <= config.maxBulkBytes) toSend.push(prepared);
    else decisions[position] = dlq('document_too_large', `${prepared.bytes} bytes > maxBulkBytes ${config.maxBulkBytes}`);
  }
  return toSend;
}

/**
 * Writes events with the bulk API and returns one outcome per event, in input order. Never throws for store
 * failures: a failed request becomes a retry for each of its events, a failed item an outcome for that event only,
 * and an event whose data the mapping refuses is written once more with its data unindexed (retry.ts, salvage).
 */
export async function writeBulk({ client, config, onSalvaged }: BulkWriterOptions, events: readonly StampedEvent[]): Promise<Outcome[]> {
  const decisions: Decision[] = new Array(events.length);
  await sendAll(client, prepareAll(events, events.map((_, i) => i), config, false, decisions), config.maxBulkBytes, {}, decisions);
  const refused: number[] = [];
  decisions.forEach((d, i) => d.type === 'salvage' && refused.push(i));
  if (refused.length === 0) return decisions as Outcome[];
  const reasons = new Map(refused.map((i) => [i, (decisions[i] as { reason: SalvageReason }).reason]));
  await sendAll(client, prepareAll(events, refused, config, true, decisions), config.maxBulkBytes, { salvaged: true }, decisions);
  const stored = new Map<SalvageReason, number>();
  for (const [i, reason] of reasons) if (decisions[i]!.type === 'ok') stored.set(reason, (stored.get(reason) ?? 0) + 1);
  for (const [reason, n] of stored) onSalvaged?.(reason, n);
  return decisions as Outcome[];
}
