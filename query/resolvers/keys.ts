import { KeyError } from '../../shared/auth/errors.ts';
import type { KeySpecInput } from '../../shared/auth/keys.ts';
import type { GatewayContext } from '../context.ts';
import { keyFieldError } from '../errors.ts';

/** A KeyError becomes an error carrying its code, field and index; anything else (an outage) passes as it is. */
async function keyOperation<T>(ctx: GatewayContext, run: () => Promise<T>): Promise<T> {
  try {
    return await ctx.read('postgres', run);
  } catch (error) {
    throw error instanceof KeyError ? keyFieldError(error) : error;
  }
}

export const keyResolvers = {
  Query: {
    keys: (_: unknown, __: unknown, ctx: GatewayContext) => keyOperation(ctx, () => ctx.keys.list()),
  },
  Mutation: {
    createKey: (_: unknown, args: KeySpecInput, ctx: GatewayContext) => keyOperation(ctx, () => ctx.keys.create(args)),
    revokeKey: (_: unknown, { name }: { name: string }, ctx: GatewayContext) => keyOperation(ctx, () => ctx.keys.revoke(name)),
  },
};
