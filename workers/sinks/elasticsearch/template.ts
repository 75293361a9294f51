import type { Client, estypes } from '@elastic/elasticsearch';
import { MAX_DEPTH } from '../../../shared/contracts/index.ts';
import type { ElasticsearchConfig } from './config.ts';

type TemplateConfig = Pick<ElasticsearchConfig, 'indexPrefix' | 'alias' | 'numberOfShards' | 'numberOfReplicas' | 'refreshInterval'>;

/** Template name: one per prefix, so several prefixes (and test runs) can share a cluster. */
export const templateNameOf = (indexPrefix: string): string => `${indexPrefix}-template`;

/** How far an event's own day may lie from the day the edge received it and still get a daily index. */
export interface DailyWindow {
  readonly dailyIndexDaysBack: number;
  readonly dailyIndexDaysAhead: number;
}

/** The catch-all index for events dated outside the window: one index, however many days clients make up. */
export const otherIndexOf = (indexPrefix: string): string => `${indexPrefix}-other`;

const DAY_MS = 86_400_000;

/** Epoch ms of the UTC day's start; canonical timestamps (`YYYY-MM-DDTHH:mm:ss.sssZ`) are read by their first ten characters. */
function dayStartOf(timestamp: string): number {
  if (/^\d{4}-\d{2}-\d{2}T[^+]*Z$/.test(timestamp)) return Date.parse(`${timestamp.slice(0, 10)}T00:00:00Z`);
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? ms : ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

// A batch repeats a few receivedAt values thousands of times (the edge stamps a request in one millisecond).
let lastReceived = '';
let lastReceivedDay = Number.NaN;

/**
 * `<prefix>-YYYY.MM.DD` by the event's own UTC day when that day lies within the window around the day the edge
 * received it, else `<prefix>-other`; undefined when the timestamp is not a date at all (only possible for events that
 * skipped the stamped schema). The window is measured from `receivedAt`, not from now, so a re-delivered event (days
 * later, from the dead-letter topic) meets its earlier copy in the same index; and as receivedAt is the edge's clock,
 * the daily indices that can exist are bounded by it, whatever timestamps clients send (Postgres bounds its daily
 * partitions the same way: workers/sinks/postgres/migrations.ts inWindow).
 */
export function indexNameFor(indexPrefix: string, event: { readonly timestamp: string; readonly receivedAt: string }, window: DailyWindow): string | undefined {
  const day = dayStartOf(event.timestamp);
  if (Number.isNaN(day)) return undefined;
  if (event.receivedAt !== lastReceived) {
    lastReceivedDay = dayStartOf(event.receivedAt);
    lastReceived = event.receivedAt;
  }
  const offsetDays = (day - lastReceivedDay) / DAY_MS;
  // A receivedAt that is not a date compares false both ways, which sends the event to the catch-all.
  if (!(offsetDays >= -window.dailyIndexDaysBack && offsetDays <= window.dailyIndexDaysAhead)) return otherIndexOf(indexPrefix);
  return `${indexPrefix}-${new Date(day).toISOString().slice(0, 10).replaceAll('-', '.')}`;
}

const keyword: estypes.MappingProperty = { type: 'keyword' };
const date: estypes.MappingProperty = { type: 'date', format: 'strict_date_optional_time||epoch_millis' };

/**
 * The mapping follows StampedEvent (shared/contracts/stamped.ts): the envelope fields are exact-match identifiers
 * (keyword) or instants (date); `data` is the client's free-form object, mapped as it arrives with rules that keep
 * the result predictable.
 */
export const eventMappings: estypes.MappingTypeMapping = {
  // The stamped schema is strict, so an unknown top-level field means the contract changed without this mapping;
  // refusing it (dlq, strict_dynamic_mapping) beats silently guessing its type.
  dynamic: 'strict',
  // Off, so a data string that happens to look like a date does not fix the field as `date` and then reject the
  // next event whose value is ordinary text.
  date_detection: false,
  dynamic_templates: [
    {
      data_strings: {
        path_match: 'data.*',
        match_mapping_type: 'string',
        // text for full-text search, keyword for terms aggregations and exact filters; long values are kept in
        // _source and text but not in the keyword index, which would bloat it.
        mapping: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      },
    },
    {
      // Dynamic mapping would pick `float` for fractional numbers, which silently rounds amounts past ~7 digits.
      data_fractions: { path_match: 'data.*', match_mapping_type: 'double', mapping: { type: 'double' } },
    },
    {
      // Whole numbers as double too: an event's numbers are JavaScript doubles by the time the contract has read them,
      // so `long` kept no precision they have, and refused both integers past 2^63 and arrays mixing 1 and 1.5
      // ("mapper [data.x] cannot be changed from type [long] to [double]").
      data_integers: { path_match: 'data.*', match_mapping_type: 'long', mapping: { type: 'double' } },
    },
  ],
  properties: {
    // `_id` is the event id and already indexed (the gateway finds events by id with an `ids` query), so `id` keeps
    // only doc values, for sorting and the rare filter: indexing the most unique term of every document twice cost the
    // search node ~4.5 of its ~23 µs of CPU per document in bench:workers.
    id: { type: 'keyword', index: false },
    type: keyword,
    source: keyword,
    key: keyword,
    timestamp: date,
    receivedAt: date,
    data: { type: 'object', dynamic: true },
    // Where the sink puts an event's data when the mapping refuses it (sink.ts, salvage): kept in _source, not parsed
    // or indexed, so the event is still stored and found by id and envelope fields; `data` is then {}.
    data_unindexed: { type: 'object', enabled: false },
  },
};

export function indexTemplateFor(config: TemplateConfig): estypes.IndicesPutIndexTemplateRequest {
  return {
    name: templateNameOf(config.indexPrefix),
    index_patterns: [`${config.indexPrefix}-*`],
    // Above the built-in templates (priority 0-100 in a default distribution) so ours wins for our pattern.
    priority: 200,
    template: {
      settings: {
        number_of_shards: config.numberOfShards,
        number_of_replicas: config.numberOfReplicas,
        refresh_interval: config.refreshInterval,
        // Clients invent data keys freely; past the field limit, new keys stay in _source unindexed instead of
        // rejecting the whole event.
        'mapping.total_fields.ignore_dynamic_beyond_limit': true,
        // The contract's nesting cap (shared/contracts/json.ts MAX_DEPTH counts `data` as level 1), plus the document
        // itself: at the default of 20 the node refused data nested 20 levels that the edge had accepted.
        'mapping.depth.limit': MAX_DEPTH + 1,
        // A value that does not fit its field's type (text in a number field, a number past a numeric type's range) is
        // kept in _source and left out of that field's index instead of refusing the whole event.
        'mapping.ignore_malformed': true,
      },
      mappings: eventMappings,
      // New daily indices join the alias on creation, so readers never need to know the index names.
      aliases: { [config.alias]: {} },
    },
    _meta: { description: 'Event Lens events (workers/sinks/elasticsearch/template.ts)' },
  };
}

/** Installs or updates the index template; existing indices keep their mapping, new daily indices get this one. */
export async function ensureTemplate(client: Client, config: TemplateConfig): Promise<void> {
  await client.indices.putIndexTemplate(indexTemplateFor(config));
}
