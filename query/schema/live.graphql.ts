export const liveSDL = /* GraphQL */ `
  type TimeCount {
    "Start of the second or minute, by the events' receivedAt."
    at: DateTime!
    count: Long!
  }

  "Processing latency (worker write time - receivedAt); each percentile is interpolated inside its histogram bucket (10 per decade, 1 ms to 60 s)."
  type Latency {
    "Events in the merged histogram."
    count: Long!
    p50Ms: Float
    p95Ms: Float
    p99Ms: Float
  }

  "Live counters the Redis sink keeps (shared/stores/redis-keys.ts)."
  type LiveStats {
    "When these were read."
    at: DateTime!
    total: Long!
    "Per type, most frequent first. Past SINK_REDIS_MAX_TYPES types, events of further types are counted under the value (other), listed last."
    byType: [TermCount!]!
    "Per source, most frequent first; (none) counts events without a source, and (other) (listed last) those of sources past SINK_REDIS_MAX_SOURCES."
    bySource: [TermCount!]!
    "Mean events/s over the last complete seconds (QUERY_RATE_WINDOW_SECONDS), by receivedAt."
    eventsPerSecond: Float!
    "The last 60 seconds, oldest first, the current (partial) second last."
    perSecond: [TimeCount!]!
    "The last 60 minutes, oldest first."
    perMinute: [TimeCount!]!
    latency: Latency!
  }

  "The newest reading for a key (sensor id), by the event's timestamp."
  type LatestValue {
    key: String!
    value: Float!
    unit: String
    timestamp: DateTime!
    eventId: ID!
  }

  "An entry of the sink's recent list."
  type RecentEvent {
    id: ID!
    type: String!
    source: String
    key: String!
    timestamp: DateTime!
    "The whole event (with data), looked up by id; null when no store has it."
    event: Event
  }

  extend type Query {
    liveStats: LiveStats
    "Latest value per key (sensor id); null when none was recorded."
    latest(key: String!): LatestValue
    "Latest values of several keys at once, in the order asked."
    latestValues(keys: [String!]!): [LatestValue]
    "The most recently written events, newest first (at most the sink's recentLength)."
    recentEvents(limit: Int = 20): [RecentEvent!]
  }

  type Subscription {
    "liveStats every intervalMs (at least QUERY_MIN_INTERVAL_MS); over Server-Sent Events with Accept: text/event-stream."
    liveStats(intervalMs: Int = 1000): LiveStats
  }
`;
