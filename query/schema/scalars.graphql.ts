export const scalarsSDL = /* GraphQL */ `
  "An instant as an ISO 8601 string (answers are UTC, e.g. 2026-03-01T12:00:00.000Z)."
  scalar DateTime

  "An integer up to 2^53 - 1, sent as a JSON number (counters outgrow GraphQL's 32-bit Int)."
  scalar Long

  "Any JSON value; used for an event's free-form data."
  scalar JSON

  type PageInfo {
    hasNextPage: Boolean!
    "Pass as \`after\` to get the next page; null on an empty page."
    endCursor: String
  }

  "A value and how many events have it."
  type TermCount {
    value: String!
    count: Long!
  }
`;
