export const keysSDL = /* GraphQL */ `
  "An API key (never its secret). Scopes: ingest (send events), read (queries, subscriptions), admin (pipelines, lookups, keys)."
  type ApiKey {
    id: ID!
    name: String!
    scopes: [String!]!
    "Events sent with this key are stamped with this source; null when the client picks."
    source: String
    "Events per second; null when the key is not rate limited."
    rate: Float
    "Most events admitted at once; null exactly when rate is null."
    burst: Int
    createdAt: DateTime!
    revokedAt: DateTime
  }

  type CreatedKey {
    key: ApiKey!
    "The secret, shown in this answer only: it is stored as a keyed hash and cannot be read back."
    secret: String!
  }

  extend type Query {
    "Every key, revoked ones included, oldest first (admin scope)."
    keys: [ApiKey!]
  }

  extend type Mutation {
    """
    Creates a key (admin scope), checked as \`npm run keys -- create\` checks it: a bad field is an error whose
    extensions.code is invalid_name, missing_scope, invalid_scope, invalid_source, invalid_rate, invalid_burst or
    key_exists, with extensions.path (and extensions.index for a scope).
    """
    createKey(name: String!, scopes: [String!]!, source: String, rate: Float, burst: Int): CreatedKey
    "Refuses the key from now on, within AUTH_CACHE_TTL_MS on every process (admin scope); unknown_key for a name that does not exist."
    revokeKey(name: String!): ApiKey
  }
`;
