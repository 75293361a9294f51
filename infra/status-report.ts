import type { ServiceState } from './stack.ts';
import type { Probe, StoreProbe } from './status-probes.ts';

/** What `npm run status` reports (`--json` prints it as is). */
export interface ProcessRow extends Probe {
  readonly service: 'edge' | 'workers' | 'query';
  readonly name: string;
  readonly pid: number | null;
  readonly uptimeMs: number | null;
  readonly restarts: number | null;
  /** The supervisor's state (running, backoff, crashing, stopped); `unsupervised` when no status file names it. */
  readonly state: string;
}

export interface PartitionRow {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: number;
  readonly isr: number;
  readonly highWatermark: number | null;
  readonly committed: number | null;
  readonly lag: number | null;
}

export interface KafkaStatus {
  readonly bootstrap: string;
  readonly topic: string;
  readonly groupId: string;
  /** What went wrong asking the cluster; the rest is empty then. */
  readonly error?: string;
  readonly brokers: ReadonlyArray<{ id: number | null; address: string; reachable: boolean }>;
  readonly topicExists: boolean;
  readonly partitions: readonly PartitionRow[];
}

export interface StatusReport {
  readonly healthy: boolean;
  /** One short phrase per thing that is not healthy. */
  readonly problems: readonly string[];
  readonly processes: readonly ProcessRow[];
  readonly kafka: KafkaStatus;
  readonly stores: Readonly<Record<'elasticsearch' | 'postgres' | 'redis', StoreProbe>>;
  /** The stack's servers as `npm run stack -- up` manages them. */
  readonly servers: readonly ServiceState[];
}
