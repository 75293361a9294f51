import type { Client, estypes } from '@elastic/elasticsearch';
import { encodeEvent, type StampedEvent } from '../../../shared/contracts/index.ts';
import { dlq, retry, type Outcome } from '../../outcomes.ts';
import type { ElasticsearchConfig } from './config.ts';
import { decideBulk, type BulkAttempt, type BulkItem } from './retry.ts';
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
  readonly config: Pick<ElasticsearchConfig, 'indexPrefix' | 'maxBulkBytes'>;
}

/**
 * `create` with `_id` = event id rather than `index`: the first write wins and a re-delivery is a 409 that counts as
 * ok (see retry.ts), so a duplicate neither rewrites the document (a delete + add inside Lucene) nor bumps its
 * version, and the id behaves like the idempotency key the edge promises. The index is derived from the event's own
 * day, so a re-delivery always meets its earlier copy.
 */
function prepare(event: StampedEvent, position: number, indexPrefix: string): Prepared | Outcome {
  const index = indexNameFor(indexPrefix, event.timestamp);
  if (index === undefined) return dlq('invalid_document', `timestamp ${JSON.stringify(event.timestamp)} is not an ISO date`);
  // Concatenated rather than JSON.stringify of an object: one of these per event.
  const action = `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(event.id)}}}\n`;
  // The bytes the event came from Kafka as, when it came unchanged (encodeEvent): no encoding, and their size is known.
  const source = encodeEvent(event);
  return { position, action, source, bytes: Buffer.byteLength(action) + source.byteLength + 1 };
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

/**
 * Writes events with the bulk API and returns one outcome per event, in input order. Never throws for store
 * failures: a failed request becomes a retry for each of its events, a failed item an outcome for that event only.
 */
export async function writeBulk({ client, config }: BulkWriterOptions, events: readonly StampedEvent[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(events.length);
  const toSend: Prepared[] = [];
  events.forEach((event, position) => {
    const prepared = prepare(event, position, config.indexPrefix);
    if ('action' in prepared) {
      if (prepared.bytes <= config.maxBulkBytes) toSend.push(prepared);
      else outcomes[position] = dlq('document_too_large', `${prepared.bytes} bytes > maxBulkBytes ${config.maxBulkBytes}`);
    } else outcomes[position] = prepared;
  });
  // Sequential on purpose: the worker's batch is the unit of parallelism, and one request at a time per sink keeps
  // a throttled cluster from being hit by every chunk at once.
  for (const items of chunk(toSend, config.maxBulkBytes)) {
    const decided = decideBulk(await send(client, items), items.length);
    items.forEach((item, i) => {
      outcomes[item.position] = decided[i] ?? retry('elasticsearch_server_error');
    });
  }
  return outcomes;
}
