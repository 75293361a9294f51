import { deadLetterResolvers } from './dead-letters.ts';
import { deliveryResolvers } from './delivery.ts';
import { healthResolvers } from './health.ts';
import { keyResolvers } from './keys.ts';
import { pipelineResolvers } from './pipelines.ts';
import { postgresResolvers } from './postgres.ts';
import { redisResolvers } from './redis.ts';
import { DateTime, JSONScalar, Long } from './scalars.ts';
import { searchResolvers } from './search.ts';

/** One resolver map per store; none of them share a type, so merging is a spread per root type. */
export const resolvers = {
  DateTime,
  Long,
  JSON: JSONScalar,
  Query: {
    ok: () => true,
    ...searchResolvers.Query,
    ...postgresResolvers.Query,
    ...redisResolvers.Query,
    ...deadLetterResolvers.Query,
    ...pipelineResolvers.Query,
    ...keyResolvers.Query,
    ...healthResolvers.Query,
    ...deliveryResolvers.Query,
  },
  Mutation: { ...pipelineResolvers.Mutation, ...keyResolvers.Mutation },
  Subscription: redisResolvers.Subscription,
  SensorReading: postgresResolvers.SensorReading,
  LatestValue: redisResolvers.LatestValue,
  RecentEvent: redisResolvers.RecentEvent,
  DeadLetter: deadLetterResolvers.DeadLetter,
  PipelineState: pipelineResolvers.PipelineState,
  Pipeline: pipelineResolvers.Pipeline,
  WindowResult: pipelineResolvers.WindowResult,
};
