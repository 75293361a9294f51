import { envNameOf } from '../shared/config/index.ts';
import { authConfig } from '../shared/auth/config.ts';
import { edgeConfig } from './config.ts';

/** Where the public port listens, and what to warn about; or why the edge must not start. */
export type Bind = { ok: true; hostname: string; warnings: string[] } | { ok: false; error: string };

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export const isLoopback = (hostname: string) => LOOPBACK.test(hostname.replace(/^\[(.*)\]$/, '$1'));

/**
 * Without keys the edge takes events from anyone who can reach it, so AUTH=off binds loopback only, and asking it for
 * another address is an error rather than a silent change. With keys on it binds every interface by default.
 */
export function chooseBind({ hostname, authMode, developmentHashKey }: { hostname: string; authMode: 'on' | 'off'; developmentHashKey: boolean }): Bind {
  const hostVar = envNameOf(edgeConfig, 'hostname');
  const authVar = envNameOf(authConfig, 'mode');
  if (authMode === 'off') {
    if (hostname !== '' && !isLoopback(hostname)) {
      return { ok: false, error: `edge: ${hostVar}=${hostname} is not a loopback address, and ${authVar}=off would let anyone there send events; set ${authVar}=on or ${hostVar}=127.0.0.1` };
    }
    return {
      ok: true,
      hostname: hostname || '127.0.0.1',
      warnings: [`edge: WARNING ${authVar}=off: the ingestion routes accept requests without an API key; listening on loopback only`],
    };
  }
  const bound = hostname || '0.0.0.0';
  const warnings =
    developmentHashKey && !isLoopback(bound)
      ? [`edge: WARNING keys are hashed with the public development ${envNameOf(authConfig, 'hashKey')} while listening on ${bound}; set it (the same on every edge, gateway and keys CLI) before exposing the edge`]
      : [];
  return { ok: true, hostname: bound, warnings };
}
