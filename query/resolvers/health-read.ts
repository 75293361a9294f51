import { join, resolve } from 'node:path';
import type { PartitionLagState } from '../../shared/kafka/lag.ts';
import { readStatusFile } from '../../shared/supervisor-status.ts';
import type { QueryConfig } from '../config.ts';
import type { KafkaReader } from '../kafka/reader.ts';
import { checkStores, type Stores } from '../stores.ts';

export interface PartitionLagView extends Omit<PartitionLagState, 'isr'> {
  readonly inSync: number;
}

export interface HealthView {
  readonly checkedAt: number;
  readonly lag: {
    readonly groupId: string;
    readonly topic: string;
    readonly up: boolean;
    readonly error: string | null;
    readonly total: bigint | null;
    readonly worst: PartitionLagView | null;
    readonly partitions: readonly PartitionLagView[];
  };
  readonly stores: ReadonlyArray<{ name: string; up: boolean; detail: string | null }>;
  readonly processes: ReadonlyArray<{ supervisor: string; name: string; state: string; pid: number | null; uptimeMs: number | null; restarts: number }>;
}

const SUPERVISORS = ['platform', 'edge', 'workers'] as const;

async function readLag(config: QueryConfig, kafka: KafkaReader): Promise<HealthView['lag']> {
  const { workersGroupId: groupId, workersTopic: topic, healthTimeoutMs: timeoutMs } = config;
  try {
    // The committed offsets, the metadata and one partition's watermarks at a time, each bounded by timeoutMs: past
    // LAG_CALLS of them the strip says Kafka is not answering rather than waiting for every partition.
    const report = await kafka.lag({ groupId, topic, timeoutMs }, timeoutMs * LAG_CALLS);
    const partitions = report.partitions.map(({ isr, ...p }) => ({ ...p, inSync: isr }));
    const known = partitions.filter((p) => p.lag !== null);
    const total = known.reduce((sum, p) => sum + p.lag!, 0n);
    const worst = known.reduce<PartitionLagView | null>((w, p) => (w === null || p.lag! > w.lag! ? p : w), null);
    return { groupId, topic, up: true, error: null, total, worst, partitions };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const why = /TIMED_OUT|TRANSPORT|no answer within/.test(text) ? `no broker answered within ${timeoutMs} ms` : text;
    return { groupId, topic, up: false, error: why, total: null, worst: null, partitions: [] };
  }
}

const LAG_CALLS = 4;

/** The processes of the status files the gateway can read; a missing or unreadable file adds none. */
async function readProcesses(dir: string): Promise<HealthView['processes']> {
  const files = await Promise.all(SUPERVISORS.map((name) => readStatusFile(join(resolve(dir), `${name}.json`)).catch(() => undefined)));
  return files.flatMap((file, i) => (file?.processes ?? []).map((p) => ({
    supervisor: SUPERVISORS[i]!,
    name: p.name,
    state: p.state,
    pid: p.pid,
    uptimeMs: p.uptimeMs,
    restarts: p.restarts,
  })));
}

/**
 * Kafka lag, the stores and the processes, probed in parallel, each bounded by QUERY_HEALTH_TIMEOUT_MS; a part that
 * is down is a value in the answer (up: false), never an error of the field.
 */
export async function readHealth({ stores, config, kafka }: { stores: Stores; config: QueryConfig; kafka: KafkaReader }): Promise<HealthView> {
  const [lag, checks, processes] = await Promise.all([
    readLag(config, kafka),
    checkStores(stores, config.healthTimeoutMs),
    readProcesses(config.processStatusDir),
  ]);
  const storeList = Object.entries(checks).map(([name, check]) => ({ name, up: check === 'ok', detail: check === 'ok' ? null : check }));
  return { checkedAt: Date.now(), lag, stores: storeList, processes };
}
