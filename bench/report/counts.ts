/**
 * Count verification: every event a system acknowledged (HTTP 202, times the events in the request) must be in
 * its Kafka topic. More in the topic than acknowledged is fine — requests still in flight when wrk stops are
 * delivered but never counted as answered — fewer is a loss.
 */
export interface CountInput {
  /** Which system and run, e.g. "edge, single events". */
  name: string;
  /** Events acknowledged to clients: 2xx answers times events per request. */
  acked: number;
  /** Events that arrived in the system's topic during the run (high-watermark delta). */
  inTopic: number;
}

export interface CountCheck extends CountInput {
  /** Acknowledged events not found in the topic (0 when none are missing). */
  missing: number;
  /** Events in the topic beyond those acknowledged (in flight when the load stopped, or answered with an error). */
  extra: number;
  ok: boolean;
}

export function verifyCount({ name, acked, inTopic }: CountInput): CountCheck {
  if (!Number.isFinite(acked) || !Number.isFinite(inTopic) || acked < 0 || inTopic < 0) {
    return { name, acked, inTopic, missing: Number.NaN, extra: Number.NaN, ok: false };
  }
  const missing = Math.max(0, acked - inTopic);
  return { name, acked, inTopic, missing, extra: Math.max(0, inTopic - acked), ok: missing === 0 };
}

export function verifyCounts(inputs: CountInput[]): { checks: CountCheck[]; ok: boolean } {
  const checks = inputs.map(verifyCount);
  return { checks, ok: checks.length > 0 && checks.every((c) => c.ok) };
}

/** Events that arrived in a topic between two snapshots of its partitions' high watermarks. */
export function topicDelta(before: ReadonlyArray<bigint | number>, after: ReadonlyArray<bigint | number>): number {
  if (before.length !== after.length) throw new Error(`partition count changed: ${before.length} → ${after.length}`);
  let n = 0n;
  for (let i = 0; i < after.length; i++) {
    const d = BigInt(after[i]!) - BigInt(before[i]!);
    if (d < 0n) throw new Error(`partition ${i} high watermark went backwards`);
    n += d;
  }
  return Number(n);
}
