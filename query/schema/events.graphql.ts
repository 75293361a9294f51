export const eventsSDL = /* GraphQL */ `
  "An event as the edge stamped it (shared/contracts StampedEvent)."
  type Event {
    id: ID!
    type: String!
    source: String
    "Partition key: the client's key, else the id; for sensor readings the sensor id."
    key: String!
    "The event's own time (the client's, else when the edge received it)."
    timestamp: DateTime!
    "When the edge accepted it."
    receivedAt: DateTime!
    data: JSON!
  }

  input EventFilter {
    "Any of these types."
    types: [String!]
    "Any of these sources."
    sources: [String!]
    key: String
    "Inclusive, on timestamp."
    from: DateTime
    "Exclusive, on timestamp."
    to: DateTime
  }

  type EventEdge {
    cursor: String!
    node: Event!
  }

  type EventConnection {
    edges: [EventEdge!]!
    nodes: [Event!]!
    pageInfo: PageInfo!
    "Every event matching the query and filter, not just this page."
    totalCount: Long!
  }

  enum Interval {
    SECOND
    MINUTE
    HOUR
    DAY
    WEEK
    MONTH
  }

  type TimeBucket {
    "Start of the bucket; buckets are aligned to the interval in UTC, so the first may start before \`from\`."
    start: DateTime!
    count: Long!
  }

  "A reading from the sensor_data table."
  type SensorReading {
    eventId: ID!
    sensorId: String!
    value: Float!
    unit: String
    timestamp: DateTime!
    receivedAt: DateTime!
  }

  extend type Query {
    """
    Full-text and filtered search, newest first (timestamp, then id). \`query\` uses simple query string syntax over
    type, source, key, id and every data field. Forward pagination: pass pageInfo.endCursor as \`after\`.
    """
    events(query: String, filter: EventFilter, first: Int = 20, after: String): EventConnection
    "One event by id: from the search node, or from Postgres when the search node does not have it (yet)."
    event(id: ID!): Event
    "Events per interval between from (inclusive) and to (exclusive), zero-filled, by event timestamp; at most QUERY_MAX_BUCKETS buckets."
    eventCounts(from: DateTime!, to: DateTime!, interval: Interval = MINUTE, types: [String!]): [TimeBucket!]
    "Events between from and to (either may be left open), optionally of one type."
    countEvents(from: DateTime, to: DateTime, type: String): Long
    "The most frequent event types in the range, most frequent first."
    topTypes(from: DateTime, to: DateTime, limit: Int = 10): [TermCount!]
    "The most frequent sources in the range, most frequent first."
    topSources(from: DateTime, to: DateTime, limit: Int = 10): [TermCount!]
    "Stored sensor readings (Postgres), newest first."
    readings(sensorId: String, from: DateTime, to: DateTime, limit: Int = 20): [SensorReading!]
  }
`;
