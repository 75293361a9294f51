import { describe, expect, test } from 'bun:test';
import { errors } from '@elastic/elasticsearch';
import { DLQ_REASONS, REASONS, RETRY_REASONS, SALVAGE_REASONS, decideBulk, decideItem, decideRequestFailure, type BulkItem, type Decision } from './retry.ts';

const item = (op: 'create' | 'index', status: number, type?: string): BulkItem => ({
  [op]: { _index: 'events-2024.01.01', _id: 'e1', status, ...(type && { error: { type, reason: `${type} happened` } }) },
});
const created = item('create', 201);
const { ConnectionError, NoLivingConnectionsError, ResponseError, TimeoutError } = errors;

// [what Elasticsearch answered for one item, the expected outcome as `type reason`, the item]
const items: Array<[string, string, BulkItem | undefined]> = [
  ['created', 'ok', created],
  ['indexed over an existing document (index op)', 'ok', item('index', 200)],
  ['409 version conflict on create (already indexed by an earlier delivery)', 'ok', item('create', 409, 'version_conflict_engine_exception')],
  ['409 on an index op, which never happens without versioning', 'dlq elasticsearch_rejected', item('index', 409, 'version_conflict_engine_exception')],
  ['429 too many requests', 'retry elasticsearch_throttled', item('create', 429)],
  ['es_rejected_execution_exception (write queue full)', 'retry elasticsearch_throttled', item('create', 429, 'es_rejected_execution_exception')],
  ['circuit_breaking_exception', 'retry elasticsearch_throttled', item('create', 429, 'circuit_breaking_exception')],
  ['503 unavailable_shards_exception', 'retry elasticsearch_unavailable', item('create', 503, 'unavailable_shards_exception')],
  ['500 node_disconnected_exception', 'retry elasticsearch_server_error', item('create', 500, 'node_disconnected_exception')],
  ['cluster_block_exception (flood-stage read-only)', 'retry elasticsearch_index_blocked', item('create', 403, 'cluster_block_exception')],
  ['index_not_found_exception (auto-create off)', 'retry elasticsearch_index_blocked', item('create', 404, 'index_not_found_exception')],
  ['mapper_parsing_exception', 'salvage mapping_conflict', item('create', 400, 'mapper_parsing_exception')],
  ['document_parsing_exception', 'salvage mapping_conflict', item('create', 400, 'document_parsing_exception')],
  ['strict_dynamic_mapping_exception', 'salvage mapping_conflict', item('create', 400, 'strict_dynamic_mapping_exception')],
  ['illegal_argument_exception (e.g. [1, "a"] in a new field)', 'salvage invalid_document', item('create', 400, 'illegal_argument_exception')],
  ['an unknown 400', 'dlq elasticsearch_rejected', item('create', 400, 'something_new_exception')],
  ['no item at all for the event', 'retry elasticsearch_server_error', undefined],
];

const label = (d: Decision) => ('reason' in d ? `${d.type} ${d.reason}` : d.type);

describe('each bulk item decides its own event', () => {
  test.each(items)('%s → %s', (_, expected, input) => {
    expect(label(decideItem(input))).toBe(expected);
  });

  // The salvaged copy carries its data unindexed, so a second refusal is not about data: nothing is left to try.
  const salvagedItems: Array<[string, string, BulkItem]> = [
    ['document_parsing_exception', 'dlq mapping_conflict', item('create', 400, 'document_parsing_exception')],
    ['strict_dynamic_mapping_exception', 'dlq mapping_conflict', item('create', 400, 'strict_dynamic_mapping_exception')],
    ['illegal_argument_exception', 'dlq invalid_document', item('create', 400, 'illegal_argument_exception')],
    ['created', 'ok', created],
    ['409 on create (stored by an earlier delivery)', 'ok', item('create', 409, 'version_conflict_engine_exception')],
    ['429 too many requests', 'retry elasticsearch_throttled', item('create', 429)],
  ];
  test.each(salvagedItems)('for the salvaged copy of an event, %s → %s', (_, expected, input) => {
    expect(label(decideItem(input, { salvaged: true }))).toBe(expected);
  });

  test('dead letters carry the error type and reason so the dead letter explains itself', () => {
    const input: BulkItem = {
      create: {
        _index: 'events-2024.01.01',
        status: 400,
        error: { type: 'document_parsing_exception', reason: 'failed to parse field [data.amount]', caused_by: { type: 'illegal_argument_exception', reason: 'Cannot parse object as number' } },
      },
    };
    expect(decideItem(input, { salvaged: true })).toEqual({
      type: 'dlq',
      reason: 'mapping_conflict',
      message: 'document_parsing_exception: failed to parse field [data.amount] (illegal_argument_exception: Cannot parse object as number)',
    });
  });
});

const responseError = (statusCode: number) =>
  new ResponseError({ body: { error: { type: 'x' }, status: statusCode }, statusCode, headers: {}, warnings: null, meta: {} as never });

// [what the client threw for the whole request, the reason every event gets, the error]
const failures: Array<[string, string, unknown]> = [
  ['connection refused', 'elasticsearch_unavailable', new ConnectionError('connect ECONNREFUSED 127.0.0.1:1')],
  ['no living connections', 'elasticsearch_unavailable', new NoLivingConnectionsError('no living connections', {} as never)],
  ['request timeout', 'elasticsearch_timeout', new TimeoutError('Request timed out')],
  ['503 on the request', 'elasticsearch_unavailable', responseError(503)],
  ['500 on the request', 'elasticsearch_server_error', responseError(500)],
  ['429 on the request', 'elasticsearch_throttled', responseError(429)],
  ['413 on the request (maxBulkBytes above http.max_content_length)', 'elasticsearch_request_rejected', responseError(413)],
  ['401 on the request', 'elasticsearch_request_rejected', responseError(401)],
  ['something that is not an Error', 'elasticsearch_unavailable', 'boom'],
];

describe('a whole-request failure retries every event in it', () => {
  test.each(failures)('%s → retry %s', (_, reason, error) => {
    expect(decideBulk({ error }, 3)).toEqual(Array.from({ length: 3 }, () => expect.objectContaining({ type: 'retry', reason })));
    expect(decideRequestFailure(error)).toMatchObject({ type: 'retry', reason });
  });
});

describe('a partial bulk response', () => {
  test('only the failed items are retried, dead-lettered or salvaged, the rest ok, in input order', () => {
    const outcomes = decideBulk(
      {
        items: [
          created,
          item('create', 429, 'es_rejected_execution_exception'),
          item('create', 400, 'document_parsing_exception'),
          item('create', 409, 'version_conflict_engine_exception'),
          created,
        ],
      },
      5,
    );
    expect(outcomes.map((o) => ('reason' in o ? `${o.type}:${o.reason}` : o.type))).toEqual([
      'ok',
      'retry:elasticsearch_throttled',
      'salvage:mapping_conflict',
      'ok',
      'ok',
    ]);
  });

  test('a response with fewer items than events retries the missing ones instead of calling them ok', () => {
    expect(decideBulk({ items: [created] }, 2).map((o) => o.type)).toEqual(['ok', 'retry']);
  });
});

test('every reason is snake_case and comes from the exported list', () => {
  expect(REASONS).toEqual([...RETRY_REASONS, ...DLQ_REASONS]);
  // A salvaged copy refused again is dead-lettered under its salvage reason, so each must be a dead-letter reason too.
  expect(DLQ_REASONS).toEqual(expect.arrayContaining([...SALVAGE_REASONS]));
  for (const reason of REASONS) expect(reason).toMatch(/^[a-z]+(_[a-z]+)*$/);
  const produced = [...items.map(([, expected]) => expected.split(' ')[1]), ...failures.map(([, reason]) => reason)].filter(Boolean);
  expect(REASONS).toEqual(expect.arrayContaining(produced));
});
