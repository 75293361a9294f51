import { deadLettersSDL } from './dead-letters.graphql.ts';
import { deliverySDL } from './delivery.graphql.ts';
import { eventsSDL } from './events.graphql.ts';
import { healthSDL } from './health.graphql.ts';
import { keysSDL } from './keys.graphql.ts';
import { liveSDL } from './live.graphql.ts';
import { pipelinesSDL } from './pipelines.graphql.ts';
import { scalarsSDL } from './scalars.graphql.ts';

const rootSDL = /* GraphQL */ `
  type Query {
    "Always true; lets a client check it reaches the gateway."
    ok: Boolean!
  }
`;

/** The whole schema, one SDL string per area; each area extends Query. */
export const typeDefs = [rootSDL, scalarsSDL, eventsSDL, liveSDL, deadLettersSDL, pipelinesSDL, keysSDL, healthSDL, deliverySDL];
