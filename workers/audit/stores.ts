import type { Sql } from 'postgres';
import type Redis from 'ioredis';
import { keys } from '../../shared/stores/redis-keys.ts';

/**
 * How many copies of an event a store holds, by event id (0 when it holds none). `each` is set when the answer is the
 * same for every id asked (the usual "all held once"): the audit then counts the chunk without a call per id, which
 * with a map probe per call was about a fifth of its own CPU (~0.45 s per 200,000 ids).
 */
export type Copies = ((id: string) => number) & { readonly each?: number };

const each = (n: number): Copies => Object.assign(() => n, { each: n });
const NONE = each(0);
const ONCE = each(1);

/** Asks a store about one chunk of ids, in as few round trips as it allows. */
export type Lookup = (ids: readonly string[]) => Promise<Copies>;

const countFound = (found: Iterable<string>): Copies => {
  const n = new Map<string, number>();
  for (const id of found) n.set(id, (n.get(id) ?? 0) + 1);
  return (id) => n.get(id) ?? 0;
};

/**
 * Whether `held` distinct ids are every id asked: they cannot outnumber the distinct ids asked, so equal counts mean
 * all are held. The set is built only for a chunk that repeats an id (held then falls short of the list's length).
 */
const heldAll = (held: number, ids: readonly string[]): boolean => held === ids.length || held === new Set(ids).size;

interface SearchBody {
  _shards?: { total?: number };
  hits?: { total?: { value: number }; hits?: Array<{ fields?: { id?: string[] } }> };
  aggregations?: { indices?: { buckets?: unknown[] } };
}

/**
 * Ids query on the alias: a document id is unique per index, not per alias, so the same event in two indices (e.g. a
 * daily index and `<prefix>-other`) is two documents. The usual answer comes from one request that returns how many
 * documents match and, when the alias spans more than one shard, in how many indices (a terms aggregation on _index,
 * about a quarter of the search node's CPU per request: 0.57-0.86 s against 0.46-0.64 s per 200,000 ids). Matches in
 * a single index are distinct ids, so as many as asked means each is held once; a search over one shard is one index,
 * which every answer's `_shards.total` confirms. Otherwise a second request lists the hits' `id` doc values (the sink
 * writes the event id as both `_id` and `id`) to count the copies of each; neither request loads a stored field. At
 * most idsPerRequest ids per request, so the listing stays within index.max_result_window (10,000) for ids held
 * twice; a larger chunk is asked in parallel parts.
 */
export function elasticsearchLookup({ url, alias, idsPerRequest = 5000 }: { url: string; alias: string; idsPerRequest?: number }): Lookup {
  const base = `${url.replace(/\/$/, '')}/${alias}/_search?ignore_unavailable=true&allow_no_indices=true`;
  async function search(filterPath: string, body: object): Promise<SearchBody> {
    const res = await fetch(`${base}&filter_path=${filterPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status === 404) return {};
    if (!res.ok) throw Object.assign(new Error(`elasticsearch ${res.status}: ${(await res.text()).slice(0, 300)}`), { code: 'elasticsearch_unavailable' });
    return (await res.json()) as SearchBody;
  }
  // Whether the alias spanned more than one shard at its last answer: then the aggregation is asked for at once.
  let spread = false;
  async function summarise(query: object): Promise<{ documents: number; oneIndex: boolean }> {
    if (!spread) {
      const plain = await search('hits.total.value,_shards.total', { size: 0, track_total_hits: true, query });
      if ((plain._shards?.total ?? 0) <= 1) return { documents: plain.hits?.total?.value ?? 0, oneIndex: true };
    }
    const summary = await search('hits.total.value,aggregations.indices.buckets,_shards.total', { size: 0, track_total_hits: true, query, aggs: { indices: { terms: { field: '_index', size: 2 } } } });
    spread = (summary._shards?.total ?? 0) > 1;
    return { documents: summary.hits?.total?.value ?? 0, oneIndex: summary.aggregations?.indices?.buckets?.length === 1 };
  }
  async function lookupPart(ids: readonly string[]): Promise<Copies> {
    const query = { ids: { values: ids } };
    const { documents, oneIndex } = await summarise(query);
    if (documents === 0) return NONE;
    if (oneIndex && heldAll(documents, ids)) return ONCE;
    const listed = await search('hits.hits.fields.id', { size: Math.min(documents, 10_000), _source: false, stored_fields: '_none_', docvalue_fields: ['id'], track_total_hits: false, query });
    return countFound((listed.hits?.hits ?? []).flatMap((h) => h.fields?.id ?? []));
  }
  return async function lookupElasticsearch(ids) {
    if (ids.length <= idsPerRequest) return ids.length === 0 ? NONE : lookupPart(ids);
    const parts: Array<readonly string[]> = [];
    for (let i = 0; i < ids.length; i += idsPerRequest) parts.push(ids.slice(i, i + idsPerRequest));
    const answers = await Promise.all(parts.map(lookupPart));
    if (answers.every((a) => a.each !== undefined && a.each === answers[0]!.each)) return answers[0]!;
    // Each part answers for its own ids only (the usual answer is "1" for any id it is asked about).
    const answerOf = new Map<string, Copies>();
    parts.forEach((part, k) => part.forEach((id) => answerOf.set(id, answers[k]!)));
    return (id) => answerOf.get(id)?.(id) ?? 0;
  };
}

/**
 * Rows per id: the key is (event_id, event_time), so the same id stored with two event times is two rows. The usual
 * answer comes from one query that returns how many rows the ids have and how many of the ids are held: as many of
 * each as ids asked means each is held once. That query asks each leaf partition itself, skipping an empty one (a
 * partition ahead, the default): asking the partitioned table probes every partition's index once per id, and the
 * empty ones took about a quarter of the server's time per chunk. It also returns the leaf partitions as they are
 * now; when they changed since they were listed, they are listed again and the chunk asked again. Ids held twice or
 * absent are then listed by a second query on the partitioned table. The connection should not plan these as
 * sequential scans (see workers/audit.ts).
 */
export function postgresLookup({ sql, schema }: { sql: Sql; schema: string }): Lookup {
  const table = sql(`${schema}.events`);
  const events = sql`(select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relname = 'events')`;
  const leafList = sql`(select coalesce(array_agg(t.relid::oid order by t.relid::oid)::text, '{}') from pg_partition_tree(${events}) t where t.isleaf)`;
  let leaves: { list: string; names: string[] } | undefined;
  async function listLeaves(): Promise<{ list: string; names: string[] }> {
    const [row] = await sql<{ list: string; names: string[] | null }[]>`select ${leafList} as list, (select array_agg(format('%I.%I', n.nspname, c.relname))
      from pg_partition_tree(${events}) t join pg_class c on c.oid = t.relid join pg_namespace n on n.oid = c.relnamespace where t.isleaf) as names`;
    return (leaves = { list: row!.list, names: row!.names ?? [] });
  }
  async function lookup(ids: readonly string[]): Promise<Copies> {
    // One text that the server splits: an array parameter is quoted, escaped and parsed element by element, which took
    // more than half of the client's time per chunk. Ids with a newline, which no event id has, go as an array. Sorted
    // first, as the index scans want them: the server's own sort of the keys then finds them in order (about a seventh
    // of its time per chunk).
    const sorted = [...ids].sort();
    const asked = sorted.some((id) => id.includes('\n')) ? sql`${sorted}::text[]` : sql`string_to_array(${sorted.join('\n')}, E'\\n')`;
    let now = leaves ?? (await listLeaves());
    // Partitions change daily at most; should they keep changing under a chunk, the query below the loop, on the
    // partitioned table, answers without the list.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (now.names.length === 0) {
        // No events table (or no partition of it) when listed: nothing stored, unless one appeared since.
        if ((await listLeaves()).names.length === 0) return NONE;
        now = leaves!;
      }
      const found = now.names
        .map((name) => sql`select event_id as id from only ${sql.unsafe(name)} where exists (select from only ${sql.unsafe(name)}) and event_id = any((select ids from asked)::text[])`)
        .reduce((all, part) => sql`${all} union all ${part}`);
      const [summary] = await sql<{ list: string; rows: number; held: number }[]>`
        with asked as materialized (select ${asked} as ids)
        select ${leafList} as list, count(*)::int as rows, count(distinct id)::int as held from (${found}) found`;
      if (summary!.list !== now.list) {
        now = await listLeaves();
        continue;
      }
      if (heldAll(summary!.held, ids)) {
        if (summary!.rows === summary!.held) return ONCE;
        const rows = await sql<{ id: string; n: number }[]>`select event_id as id, count(*)::int as n from ${table} where event_id = any(${asked}) group by event_id having count(*) > 1`;
        const doubled = new Map(rows.map((r) => [r.id, r.n]));
        return (id) => doubled.get(id) ?? 1;
      }
      break;
    }
    const rows = await sql<{ id: string; n: number }[]>`select event_id as id, count(*)::int as n from ${table} where event_id = any(${asked}) group by event_id`;
    const held = new Map(rows.map((r) => [r.id, r.n]));
    return (id) => held.get(id) ?? 0;
  }
  return async function lookupPostgres(ids) {
    if (ids.length === 0) return NONE;
    try {
      return await lookup(ids);
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return NONE; // no events table yet: nothing stored
      throw error;
    }
  };
}

/**
 * The sink's seen:<id> marker, which it sets with the event's counters; it expires after seenTtlSeconds. One EXISTS
 * over the chunk's keys answers the usual case (all present) with a single integer; only a chunk with absent markers
 * is read again with MGET to learn which.
 */
export function redisLookup({ redis, prefix }: { redis: Redis; prefix: string }): Lookup {
  const layout = keys(prefix);
  const unavailable = (error: Error): never => {
    throw Object.assign(error, { code: 'redis_unavailable' });
  };
  return async function lookupRedis(ids) {
    if (ids.length === 0) return NONE;
    const names = ids.map((id) => layout.seen(id));
    // EXISTS counts a key once per time it is named, so the count equals the list's length only when every key exists.
    if ((await redis.exists(...names).catch(unavailable)) === names.length) return ONCE;
    const values = await redis.mget(names).catch(unavailable);
    const present = new Set(ids.filter((_, i) => values[i] !== null));
    return (id) => (present.has(id) ? 1 : 0);
  };
}
