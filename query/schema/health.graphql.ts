export const healthSDL = /* GraphQL */ `
  "How far the workers are behind on one partition of their topic, and who leads it."
  type PartitionLag {
    partition: Int!
    "Broker id of the leader; -1 while the partition has none."
    leader: Int!
    replicas: Int!
    "Replicas in sync with the leader."
    inSync: Int!
    "Null when the leader did not answer."
    highWatermark: Long
    "The group's committed offset (the next one it reads); null before its first commit."
    committed: Long
    "highWatermark minus committed (minus the oldest offset kept, before a first commit); null when not known."
    lag: Long
  }

  "The workers' consumer group on their topic (QUERY_WORKERS_GROUP_ID, QUERY_WORKERS_TOPIC)."
  type ConsumerLag {
    groupId: String!
    topic: String!
    "False when Kafka did not answer within QUERY_HEALTH_TIMEOUT_MS; error says why."
    up: Boolean!
    error: String
    "Sum of the partitions' known lag; null when Kafka is down."
    total: Long
    "The partition furthest behind; null when there is none."
    worst: PartitionLag
    partitions: [PartitionLag!]!
  }

  "One store the gateway reads, as its own probe found it."
  type StoreHealth {
    "elasticsearch, postgres or redis."
    name: String!
    up: Boolean!
    "What went wrong when it is down."
    detail: String
  }

  "One process as its supervisor's status file describes it."
  type ProcessHealth {
    "platform (npm start's services), edge or workers."
    supervisor: String!
    name: String!
    "running, backoff, crashing or stopped."
    state: String!
    pid: Int
    uptimeMs: Float
    "Times it was started again after exiting."
    restarts: Int!
  }

  "What the dashboard's health strip shows, read at most once per QUERY_CACHE_TTL_MS however many ask."
  type Health {
    checkedAt: DateTime!
    lag: ConsumerLag!
    stores: [StoreHealth!]!
    "Processes of the status files in QUERY_PROCESS_STATUS_DIR; empty when the gateway can read none there."
    processes: [ProcessHealth!]!
  }

  extend type Query {
    "Lag per partition, the stores and the supervised processes at a glance."
    health: Health!
  }
`;
