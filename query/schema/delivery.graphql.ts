export const deliverySDL = /* GraphQL */ `
  "Copies each store holds of the events received in a minute (by receivedAt); null when the store failed or did not answer within QUERY_STORE_TIMEOUT_MS."
  type DeliveryStored {
    elasticsearch: Long
    postgres: Long
    "The Redis sink's per-minute counter; null when source is given (Redis does not count per source) and for minutes older than its SINK_REDIS_PER_MINUTE_TTL_SECONDS."
    redis: Long
  }

  "One minute of delivery, from counters (no event is read): what came in, what each store holds, what was dead-lettered."
  type DeliveryMinute {
    "Start of the minute (UTC)."
    minute: DateTime!
    "Records the edge wrote to the workers' topic (QUERY_WORKERS_TOPIC) in this minute, from Kafka's time index; with source, the search node's count of that source instead (Kafka records are not told apart by source). Null when Kafka did not answer."
    received: Long
    stored: DeliveryStored!
    "Records written to the dead-letter topic (QUERY_DLQ_TOPIC) in this minute; null with source, or when Kafka did not answer."
    deadLettered: Long
    "received minus the smallest stored count that is known, at least 0; null when received or every store is unknown. For which ids, run npm run audit -- --from <time> --ids."
    missing: Long
  }

  "The range's sums; a column is null when any of its minutes is."
  type DeliveryTotals {
    received: Long
    stored: DeliveryStored!
    deadLettered: Long
    "Sum of the minutes' missing, so a minute stored twice does not hide another minute's loss."
    missing: Long
  }

  type Delivery {
    "from rounded down to a whole minute."
    from: DateTime!
    "to rounded up to a whole minute."
    to: DateTime!
    source: String
    checkedAt: DateTime!
    "Every minute of the range, oldest first, zero-filled."
    minutes: [DeliveryMinute!]!
    totals: DeliveryTotals!
  }

  extend type Query {
    """
    Whether what was received got stored, per minute, from cheap counters: Kafka offsets at minute boundaries, one
    histogram per store. At most QUERY_DELIVERY_MAX_MINUTES minutes (24 hours by default); a longer range is
    BAD_USER_INPUT. Cached like the other aggregations (QUERY_CACHE_TTL_MS). A store that is down gives null for its
    column, not an error.
    """
    delivery(from: DateTime!, to: DateTime!, source: String): Delivery!
  }
`;
