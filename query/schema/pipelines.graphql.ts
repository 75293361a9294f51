export const pipelinesSDL = /* GraphQL */ `
  enum PipelineState {
    RUNNING
    STOPPED
    "Set by the workers when its runs kept failing (see failure); it runs again once started."
    FAILED
  }

  "Why the workers stopped running a pipeline."
  type PipelineFailure {
    "A snake_case cause and its detail, e.g. sink_topic_refused: UNKNOWN_TOPIC_OR_PART, or retries_exhausted: _MSG_TIMED_OUT."
    reason: String!
    at: DateTime!
  }

  "A stored pipeline (shared/contracts/pipeline.ts); the workers run those in state RUNNING at their current version."
  type Pipeline {
    "A slug of the name, or a uuidv7 when that was taken."
    id: ID!
    name: String!
    "Goes up by one on every update; earlier versions are kept."
    version: Int!
    state: PipelineState!
    "Why it is FAILED; null in any other state (startPipeline and stopPipeline clear it)."
    failure: PipelineFailure
    "The definition at the current version."
    definition: JSON!
    createdAt: DateTime!
    updatedAt: DateTime!
    "Every version, newest first."
    versions: [PipelineVersion!]!
    "How lately its windows moved (from the window results; null when Postgres is down)."
    activity: PipelineActivity
  }

  type PipelineVersion {
    version: Int!
    definition: JSON!
    createdAt: DateTime!
  }

  """
  What the gateway can see of a pipeline's throughput: the window results the workers updated in the last
  sinceMinutes minutes and the events counted into them. A pipeline without an aggregate step has none.
  """
  type PipelineActivity {
    sinceMinutes: Int!
    windowsUpdated: Int!
    eventsCounted: Long!
    lastUpdate: DateTime
  }

  "One window of an aggregate step, per group key, as the workers keep it."
  type WindowResult {
    pipelineId: ID!
    "Index of the aggregate step in the definition (a pipeline may aggregate more than once)."
    step: Int!
    key: String!
    start: DateTime!
    end: DateTime!
    count: Long!
    sum: Float
    avg: Float
    min: Float
    max: Float
    p50: Float
    p95: Float
    p99: Float
    "True once the window is past its end and allowed lateness; its values no longer change."
    closed: Boolean!
    updatedAt: DateTime!
  }

  "What one step did to one event."
  type PipelineTraceStep {
    "Index into the definition's steps."
    step: Int!
    type: String!
    before: JSON
    "The event after the step; null when the step dropped it."
    after: JSON
    note: String
  }

  "Why a dry-run input is not an event (nothing ran for it)."
  type DryRunInputError {
    code: String!
    path: String!
    message: String!
  }

  type DryRunResult {
    input: JSON
    "The input as a stamped event (envelopes are stamped as the edge would)."
    event: JSON
    "What the pipeline emits for it; null when a step dropped it."
    output: JSON
    dropped: Boolean!
    trace: [PipelineTraceStep!]!
    error: DryRunInputError
  }

  extend type Query {
    pipelines: [Pipeline!]
    pipeline(id: ID!): Pipeline
    "The newest \`limit\` window results of a pipeline, oldest window first; from/to bound the window start."
    windows(pipeline: ID!, key: String, from: DateTime, to: DateTime, limit: Int = 100): [WindowResult!]
  }

  type Mutation {
    "Stores a new pipeline, STOPPED, version 1. A bad definition is BAD_USER_INPUT with extensions.path (e.g. steps.2.window.size)."
    createPipeline(definition: JSON!): Pipeline
    "Replaces the definition with a new version; NOT_FOUND for an unknown id."
    updatePipeline(id: ID!, definition: JSON!): Pipeline
    "True when it existed."
    deletePipeline(id: ID!): Boolean
    startPipeline(id: ID!): Pipeline
    stopPipeline(id: ID!): Pipeline
    "Runs the pipeline over the events (stamped or envelopes) and says what each step did; writes nothing."
    dryRunPipeline(id: ID!, events: [JSON!]!): [DryRunResult!]
  }
`;
