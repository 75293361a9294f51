import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { limitError, type LimitCode } from '../errors.ts';

/** What the HTTP server tells the gateway about a request (server.ts passes it to yoga.fetch as the server context). */
export interface ClientInfo {
  /** The peer's IP address; requests without one share the `unknown` slots. */
  readonly clientAddress?: string;
}

export interface SubscriptionCapOptions {
  /** Subscriptions open at once in this process, all clients together. */
  readonly maxTotal: number;
  /** Subscriptions open at once per client. */
  readonly maxPerClient: number;
  readonly onReject?: (code: LimitCode) => void;
}

/** What the cap counts a subscription against: its API key when it has one (by id), else the peer address. */
export function clientOf(context: ClientInfo & { apiKey?: { readonly id: string } | null }): string {
  if (context.apiKey) return `key:${context.apiKey.id}`;
  return `address:${context.clientAddress ?? 'unknown'}`;
}

export interface SubscriptionCap {
  readonly plugin: Plugin;
  /** Subscriptions open now, in total or for one client (`key:<id>` or `address:<ip>`, see clientOf). */
  open(client?: string): number;
}

/** Passes every item through and calls `release` once, when the stream ends, fails or the client goes. */
function releasing<T>(source: AsyncIterable<T>, release: () => void): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        const item = await iterator.next();
        if (item.done) release();
        return item;
      } catch (error) {
        release();
        throw error;
      }
    },
    async return(value?: unknown) {
      release();
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      release();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
  };
}

/**
 * Caps the subscriptions a gateway process holds open: each one is a stream and a store read per tick for as long as
 * the client listens. A client is its API key, so one key's clients share its slots wherever they connect from (and
 * users behind one proxy do not share theirs), or its IP address with AUTH=off (clientOf); the subscription over a cap is
 * refused with too_many_subscriptions (429), and a slot is free again as soon as a stream ends or its client leaves.
 */
export function createSubscriptionCap({ maxTotal, maxPerClient, onReject = () => {} }: SubscriptionCapOptions): SubscriptionCap {
  const byClient = new Map<string, number>();
  let total = 0;

  function refusal(client: string) {
    const mine = byClient.get(client) ?? 0;
    if (mine >= maxPerClient) {
      return limitError('too_many_subscriptions', `Too many subscriptions: this client already has ${mine} open, the limit is ${maxPerClient}. Close one first.`, { limit: maxPerClient, scope: 'client' }, 429);
    }
    if (total >= maxTotal) {
      return limitError('too_many_subscriptions', `Too many subscriptions: the gateway already serves ${total}, its limit. Try again later.`, { limit: maxTotal, scope: 'total' }, 429);
    }
    return undefined;
  }

  function reserve(client: string): () => void {
    total++;
    byClient.set(client, (byClient.get(client) ?? 0) + 1);
    let released = false;
    return function release() {
      if (released) return;
      released = true;
      total--;
      const left = (byClient.get(client) ?? 1) - 1;
      if (left > 0) byClient.set(client, left);
      else byClient.delete(client);
    };
  }

  const plugin: Plugin = {
    onSubscribe({ context, setResultAndStopExecution }) {
      const client = clientOf(context as ClientInfo);
      const error = refusal(client);
      if (error) {
        onReject('too_many_subscriptions');
        setResultAndStopExecution({ errors: [error] });
        return undefined;
      }
      const release = reserve(client);
      // A client that hangs up aborts its request at once; the stream itself may only notice at its next tick.
      (context as { request?: Request }).request?.signal.addEventListener('abort', release, { once: true });
      return {
        onSubscribeResult({ result, setResult }) {
          // Not a stream (the subscription failed before its first item): nothing stays open.
          if (!isAsyncIterable(result)) return release();
          setResult(releasing(result, release));
          return undefined;
        },
      };
    },
  };

  return { plugin, open: (client) => (client === undefined ? total : (byClient.get(client) ?? 0)) };
}
