import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { EVENT_PRODUCER_DEFAULTS } from '../../shared/contracts/record.ts';

/**
 * The Bun peer (bench/peers/bun-bridge: Bun.serve + shared/kafka doing only the JVM peer's work). It needs no build:
 * it runs from source with the repository's own Bun and librdkafka.
 */
export const BUN_PEER_SERVER = join(import.meta.dir, '..', 'peers', 'bun-bridge', 'server.ts');

export interface BunPeerOptions {
  port: number;
  topic: string;
  brokers: string;
  /** Processes sharing the port (SO_REUSEPORT); the host's cores by default, as the edge runs one per core. */
  processes?: number;
  lingerMs?: number;
  compression?: string;
}

/** Starts the peer; GET /readyz answers once its first process listens (a warm-up run covers the others). */
export function startBunPeer({ port, topic, brokers, processes = availableParallelism(), lingerMs = EVENT_PRODUCER_DEFAULTS.lingerMs, compression = 'lz4' }: BunPeerOptions) {
  return Bun.spawn([process.execPath, BUN_PEER_SERVER], {
    env: { ...process.env, PEER_PORT: String(port), PEER_TOPIC: topic, KAFKA_BROKERS: brokers, PEER_PROCESSES: String(processes), PEER_LINGER_MS: String(lingerMs), PEER_COMPRESSION: compression },
    stdout: 'ignore',
    stderr: 'inherit',
  });
}
