import type { Rng } from './rng.ts';
import { batchText, JSON_TYPE, NDJSON_TYPE, post, utf8, type EdgeLimits, type FuzzRequest, type Route } from './request.ts';

/**
 * Bodies at and just past the edge's limits: item counts, event size, body size, and gzip bodies that inflate past
 * the body limit. The large ones do not depend on the seed, so they are built once per run and reused.
 */
const built = new Map<string, Uint8Array>();
function once(key: string, build: () => Uint8Array): Uint8Array {
  let bytes = built.get(key);
  if (!bytes) built.set(key, (bytes = build()));
  return bytes;
}

// Refused by every route's schema, and cheap: an item-count request should not flood the stores.
const INVALID_ITEMS = ['{}', '{"type":1}', '[]', 'null', '{"data":{}}', '"x"'] as const;

/** A request of one of the limit kinds; `item` makes one valid item for `route`. */
export function limitBody(rng: Rng, limits: EdgeLimits, route: Route, item: () => string): FuzzRequest {
  const { maxEventsPerRequest: maxItems, maxEventBytes, maxBodyBytes } = limits;
  const kind = rng.pick(['items_at_limit', 'items_over_limit', 'event_too_large', 'body_too_large', 'gzip_bomb', 'gzip_under_limit'] as const);
  switch (kind) {
    case 'items_at_limit':
    case 'items_over_limit': {
      const n = kind === 'items_at_limit' ? maxItems : maxItems + 1;
      // One valid item in fifty at the limit, so the receipt mixes accepted and rejected; none past it.
      const items = Array.from({ length: n }, (_, i) => (kind === 'items_at_limit' && i % 50 === 0 ? item() : rng.pick(INVALID_ITEMS)));
      const ndjson = route !== '/api/events/ingest' && rng.chance(0.4);
      return post(route, ndjson ? items.join('\n') : batchText(route, items, rng.chance(0.3)), `${kind}${ndjson ? '_ndjson' : ''}`, ndjson ? NDJSON_TYPE : JSON_TYPE);
    }
    case 'event_too_large': {
      const big = `{"type":"too.large","data":{"s_note":"${'x'.repeat(maxEventBytes)}"}}`;
      const shape = rng.pick(['single', 'batch', 'ndjson'] as const);
      if (shape === 'single') return post('/v1/events', big, `${kind}_single`);
      if (shape === 'batch') return post('/v1/events', `[${item()},${big}]`, `${kind}_in_batch`);
      return post('/v1/events', `${item()}\n${big}\n`, `${kind}_ndjson`, NDJSON_TYPE);
    }
    case 'body_too_large': {
      const body = once(`body:${maxBodyBytes}`, () => utf8(`[{"type":"too.large","data":{"s_note":"${'x'.repeat(maxBodyBytes)}"}}]`));
      return { ...post('/v1/events', body, kind), chunked: rng.chance(0.5) };
    }
    case 'gzip_bomb': {
      // ~10 KiB on the wire, more than the body limit once inflated.
      const body = once(`bomb:${maxBodyBytes}`, () => Bun.gzipSync(`[${' '.repeat(maxBodyBytes + 1)}{"type":"gzip.bomb"}]`, { level: 9 }));
      return post(route, body, kind, { ...JSON_TYPE, 'content-encoding': 'gzip' });
    }
    case 'gzip_under_limit': {
      const body = once(`under:${maxBodyBytes}`, () => Bun.gzipSync(`[${' '.repeat(maxBodyBytes - 64)}{"type":"gzip.large"}]`, { level: 9 }));
      return post('/v1/events', body, kind, { ...JSON_TYPE, 'content-encoding': 'gzip' });
    }
  }
}
