import type { estypes } from '@elastic/elasticsearch';
import { dlq, ok, retry, type Outcome } from '../../outcomes.ts';

/**
 * Every reason this sink reports. Fixed and small because reasons become metric labels; add entries, never rename.
 * retry: the store could not take the event now, the worker re-submits it with backoff.
 * dlq: the event itself can never be indexed as it is; retrying would block its partition forever.
 */
export const RETRY_REASONS = [
  'elasticsearch_unavailable', // connection refused/reset, node down, 502/503/504
  'elasticsearch_timeout', // the request outlived requestTimeoutMs
  'elasticsearch_throttled', // 429, rejected execution (write queue full), circuit breaker
  'elasticsearch_server_error', // any other 5xx or an unreadable answer
  'elasticsearch_index_blocked', // read-only (disk flood stage), closed or missing index: an operator fixes it
  'elasticsearch_request_rejected', // the whole request was refused (auth, 413): not the events' fault
] as const;
export const DLQ_REASONS = [
  'mapping_conflict', // a field's value does not fit the mapping (e.g. data.amount number, then object)
  'invalid_document', // illegal_argument_exception and friends: the document is wrong, not the store
  'document_too_large', // one event is larger than maxBulkBytes (checked before sending)
  'elasticsearch_rejected', // any other per-document 4xx: dead-lettered so it cannot wedge the partition
] as const;
export const REASONS = [...RETRY_REASONS, ...DLQ_REASONS] as const;
export type Reason = (typeof REASONS)[number];
/**
 * salvage: the node refused the event's data, not the event; it is written again (same index, same `_id`, `create`)
 * with its data kept in _source but unindexed (template.ts data_unindexed), so it is stored in every store as the
 * contract promised. A second refusal is dead-lettered under the same reason.
 */
export const SALVAGE_REASONS = ['mapping_conflict', 'invalid_document'] as const;
export type SalvageReason = (typeof SALVAGE_REASONS)[number];

export type Salvage = { readonly type: 'salvage'; readonly reason: SalvageReason; readonly message: string };
/** An outcome, or (for a first attempt only) the instruction to write the event again with its data unindexed. */
export type Decision = Outcome | Salvage;

export interface AttemptKind {
  /** True when the item was the salvaged copy of its event: nothing is left to try, so refusals are dead letters. */
  readonly salvaged?: boolean;
}

/** One entry of a bulk response's `items`: keyed by the operation that produced it. */
export type BulkItem = Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>>;

/** The outcome of one bulk round trip: the response's items, or what the client threw instead. */
export type BulkAttempt = { readonly items: readonly BulkItem[] } | { readonly error: unknown };

const MAPPING_ERRORS = new Set(['mapper_parsing_exception', 'document_parsing_exception', 'strict_dynamic_mapping_exception']);
const THROTTLE_ERRORS = new Set(['es_rejected_execution_exception', 'circuit_breaking_exception']);
const BLOCK_ERRORS = new Set(['cluster_block_exception', 'index_closed_exception', 'index_not_found_exception']);
const MESSAGE_LIMIT = 500;

const describe = (error: estypes.ErrorCause | undefined): string => {
  const cause = error?.caused_by?.reason ? ` (${error.caused_by.type}: ${error.caused_by.reason})` : '';
  return `${error?.type ?? 'unknown'}: ${error?.reason ?? ''}${cause}`.slice(0, MESSAGE_LIMIT);
};

function byStatus(status: number, message: string): Outcome | undefined {
  if (status === 429) return retry('elasticsearch_throttled', message);
  if (status === 502 || status === 503 || status === 504) return retry('elasticsearch_unavailable', message);
  if (status >= 500) return retry('elasticsearch_server_error', message);
  return undefined;
}

/**
 * The per-event decision: what one bulk item's result means for its event. Error types are checked before the
 * status because the same status (400) covers both "this document is wrong" and "the index is blocked".
 */
export function decideItem(item: BulkItem | undefined, { salvaged = false }: AttemptKind = {}): Decision {
  const [op, result] = Object.entries(item ?? {})[0] ?? [];
  if (!result) return retry('elasticsearch_server_error', 'the bulk response had no item for this event');
  const { status, error } = result;
  if (status >= 200 && status < 300 && !error) return ok;
  // `create` refuses an id that already exists: the event was indexed by an earlier delivery, which is success.
  if (status === 409 && op === 'create') return ok;
  const type = error?.type ?? '';
  const message = describe(error);
  if (THROTTLE_ERRORS.has(type)) return retry('elasticsearch_throttled', message);
  if (BLOCK_ERRORS.has(type)) return retry('elasticsearch_index_blocked', message);
  if (MAPPING_ERRORS.has(type)) return salvaged ? dlq('mapping_conflict', message) : { type: 'salvage', reason: 'mapping_conflict', message };
  const statusOutcome = byStatus(status, message);
  if (statusOutcome) return statusOutcome;
  // Also how the node refuses a document that conflicts with itself, e.g. `[1, "a"]` in a new field ("mapper
  // [data.x] cannot be changed from type [long] to [text]"); if the cause was not in data, the salvaged copy fails too.
  if (type === 'illegal_argument_exception') return salvaged ? dlq('invalid_document', message) : { type: 'salvage', reason: 'invalid_document', message };
  return dlq('elasticsearch_rejected', message);
}

/** Only the fields read from the client's errors (@elastic/transport), so this stays a pure structural check. */
interface ClientErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly statusCode?: unknown;
  readonly meta?: { readonly statusCode?: unknown };
}

/** A whole request failed: no event in it was indexed (as far as we know), so every one is retried. */
export function decideRequestFailure(error: unknown): Outcome {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ClientErrorLike;
  const message = `${String(e.name ?? 'Error')}: ${String(e.message ?? error)}`.slice(0, MESSAGE_LIMIT);
  const status = typeof e.statusCode === 'number' ? e.statusCode : e.meta?.statusCode;
  if (e.name === 'TimeoutError' || e.name === 'RequestAbortedError') return retry('elasticsearch_timeout', message);
  if (e.name === 'DeserializationError') return retry('elasticsearch_server_error', message);
  if (e.name === 'ResponseError' && typeof status === 'number') {
    return byStatus(status, message) ?? retry('elasticsearch_request_rejected', message);
  }
  if (e.name === 'ProductNotSupportedError' || e.name === 'ConfigurationError') return retry('elasticsearch_request_rejected', message);
  // ConnectionError, NoLivingConnectionsError and anything unexpected: treat the store as unreachable.
  return retry('elasticsearch_unavailable', message);
}

/** One decision per sent event, in order: per item when the request got an answer, the same retry for all otherwise. */
export function decideBulk(attempt: BulkAttempt, count: number, kind: AttemptKind = {}): Decision[] {
  if ('error' in attempt) return Array.from({ length: count }, () => decideRequestFailure(attempt.error));
  return Array.from({ length: count }, (_, i) => decideItem(attempt.items[i], kind));
}
