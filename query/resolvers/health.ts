import type { GatewayContext } from '../context.ts';

export const healthResolvers = {
  Query: {
    health: (_: unknown, __: unknown, ctx: GatewayContext) => ctx.health(),
  },
};
