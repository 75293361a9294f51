import type { Client, estypes } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from './config.ts';

type TemplateConfig = Pick<ElasticsearchConfig, 'indexPrefix' | 'alias' | 'numberOfShards' | 'numberOfReplicas' | 'refreshInterval'>;

/** Template name: one per prefix, so several prefixes (and test runs) can share a cluster. */
export const templateNameOf = (indexPrefix: string): string => `${indexPrefix}-template`;

/**
 * `<prefix>-YYYY.MM.DD` by the event's own UTC day, so a re-delivered event always lands in the same index; undefined
 * when the timestamp is not a date at all (only possible for events that skipped the stamped schema).
 */
export function indexNameFor(indexPrefix: string, timestamp: string): string | undefined {
  // Stamped timestamps are canonical `YYYY-MM-DDTHH:mm:ss.sssZ`, so the UTC day is the first ten characters; other
  // ISO forms (offsets) go through Date so the day is still the UTC one.
  const canonical = /^\d{4}-\d{2}-\d{2}T[^+]*Z$/.test(timestamp);
  const ms = canonical ? 0 : Date.parse(timestamp);
  if (Number.isNaN(ms)) return undefined;
  const day = canonical ? timestamp.slice(0, 10) : new Date(ms).toISOString().slice(0, 10);
  return `${indexPrefix}-${day.replaceAll('-', '.')}`;
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
