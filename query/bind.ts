import { authConfig } from '../shared/auth/config.ts';
import { envNameOf } from '../shared/config/index.ts';
import { queryConfig } from './config.ts';

/** Where the gateway listens, and what to warn about at start; or why it must not start. */
export type Bind = { readonly ok: true; readonly hostname: string; readonly warnings: string[] } | { readonly ok: false; readonly error: string };

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export const isLoopback = (hostname: string): boolean => LOOPBACK.test(hostname.replace(/^\[(.*)\]$/, '$1'));

/**
 * Without keys anyone who reaches the gateway reads every event and changes pipelines, so AUTH=off serves loopback
 * only, and an explicitly public QUERY_HOSTNAME with it is an error rather than a silent change of address.
 */
export function chooseBind({ hostname, authMode, developmentHashKey }: { hostname: string; authMode: 'on' | 'off'; developmentHashKey: boolean }): Bind {
  const hostVar = envNameOf(queryConfig, 'hostname');
  const authVar = envNameOf(authConfig, 'mode');
  const bound = hostname || '127.0.0.1';
  if (authMode === 'off') {
    if (!isLoopback(bound)) {
      return { ok: false, error: `query: ${hostVar}=${hostname} is not a loopback address, and ${authVar}=off would let anyone there read every event and change pipelines; set ${authVar}=on or ${hostVar}=127.0.0.1` };
    }
    return { ok: true, hostname: bound, warnings: [`query: WARNING ${authVar}=off: GraphQL, REST and the dashboard answer without an API key; listening on loopback (${bound}) only`] };
  }
  const warnings = developmentHashKey && !isLoopback(bound)
    ? [`query: WARNING keys are hashed with the public development ${envNameOf(authConfig, 'hashKey')} while listening on ${bound}; set it (the same on every edge, gateway and keys CLI) before exposing the gateway`]
    : [];
  return { ok: true, hostname: bound, warnings };
}
