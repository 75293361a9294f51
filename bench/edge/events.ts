import type { EventEnvelope } from '../../shared/contracts/index.ts';

/** The event every bench:edge system is sent (and the bare client produces, stamped): a page view, ~150 bytes. */
export function benchEvent(i: number): EventEnvelope {
  return { type: 'page.view', source: 'bench', key: `user-${i % 1000}`, data: { page: '/pricing', referrer: 'https://example.com/blog/launch', session: `s-${i}`, ms: 1234 } };
}
