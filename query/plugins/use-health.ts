import type { Plugin } from 'graphql-yoga';

/** GET /healthz: the process is up and serving; says nothing about the stores (that is /readyz). */
export function useHealth({ endpoint = '/healthz' }: { endpoint?: string } = {}): Plugin {
  return {
    onRequest({ url, endResponse }) {
      if (url.pathname === endpoint) endResponse(Response.json({ status: 'ok' }));
    },
  };
}
