export const deadLettersSDL = /* GraphQL */ `
  "Where a dead-lettered event had been read from."
  type KafkaPosition {
    topic: String
    partition: Int
    offset: String
  }

  "A record of the dead-letter topic: the original event and why the workers gave up on it."
  type DeadLetter {
    "<partition>:<offset> in the dead-letter topic."
    id: ID!
    "Step that refused the event: decode, validate, or the sink (elasticsearch, postgres, redis)."
    stage: String!
    "Stable reason code, e.g. invalid_json, mapping_conflict."
    reason: String!
    "Detail for humans."
    message: String
    attempts: Int
    deadLetteredAt: DateTime
    eventId: ID
    "The original event's type, when its bytes were a JSON object."
    eventType: String
    key: String
    origin: KafkaPosition!
    "The original bytes as text (cut at 64 KiB, or at a sixteenth of QUERY_DLQ_RING_MAX_BYTES if that is less)."
    payload: String
    "The original event, when its bytes were a JSON object no larger than a sixteenth of QUERY_DLQ_RING_MAX_BYTES."
    event: JSON
    "True when the record is not held whole: payload is only its first part, and event is null if the record was too large to keep."
    truncated: Boolean!
  }

  input DeadLetterFilter {
    stage: String
    reason: String
    eventType: String
    eventId: ID
  }

  type DeadLetterEdge {
    cursor: String!
    node: DeadLetter!
  }

  type DeadLetterConnection {
    edges: [DeadLetterEdge!]!
    nodes: [DeadLetter!]!
    pageInfo: PageInfo!
    "Matching records among those held in memory."
    totalCount: Int!
    "Records held in memory (the newest of the topic, within QUERY_DLQ_BUFFER records and QUERY_DLQ_RING_MAX_BYTES)."
    buffered: Int!
    "Older records dropped to keep within those bounds."
    dropped: Long!
  }

  extend type Query {
    "What the dead-letter topic received, newest first, from the gateway's in-memory window over the topic."
    deadLetters(filter: DeadLetterFilter, first: Int = 20, after: String): DeadLetterConnection
  }
`;
