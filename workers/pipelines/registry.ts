import type { PipelineDefinition } from '../../shared/contracts/index.ts';
import { checkPipeline, type PipelineLimits } from '../../shared/pipelines/index.ts';

export interface StoredRunning {
  readonly id: string;
  readonly version: number;
  readonly definition: PipelineDefinition;
}

export interface ActivePipeline extends StoredRunning {
  /** `id@version`: changes when the definition does, so caches keyed by it cannot outlive an edit. */
  readonly revision: string;
}

export interface RegistryOptions {
  readonly load: () => Promise<readonly StoredRunning[]>;
  /** The bounds each definition is re-checked against (the gateway's, from the same PIPELINES_* settings). */
  readonly limits: PipelineLimits;
  readonly refreshMs?: number;
  readonly log?: (line: string) => void;
  /** Called with the revisions that stopped or changed, so their caches can go. */
  readonly onRemoved?: (revisions: readonly string[]) => void;
  /** Records a pipeline as failed where users see it (failPipeline); a rejection is retried at the next refresh. */
  readonly recordFailure?: (pipeline: ActivePipeline, reason: string) => Promise<unknown>;
}

/**
 * The set of running pipelines, re-read every `refreshMs`. A definition is re-validated on load (it fills defaults
 * such as allowedLateness, and a row written around the API, or one a lowered limit now refuses, must not run): an
 * invalid one is skipped with one log line per revision. Past PIPELINES_MAX_RUNNING the extra ones (by id) are
 * skipped too: the gateway refuses to start them, so only rows written around it get there. While Postgres cannot be
 * read, the last known set stays in force.
 *
 * A pipeline whose run failed (fail()) leaves the set at once, in this worker, and is recorded as failed at the next
 * refresh; from then on the store decides, so an admin who starts it again gets it back.
 */
export function createPipelineRegistry({ load, limits, refreshMs = 2_000, log = console.log, onRemoved = () => {}, recordFailure = async () => {} }: RegistryOptions) {
  let active: readonly ActivePipeline[] = [];
  let loaded = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let inFlight: Promise<boolean> | undefined;
  const reported = new Set<string>();
  /** Failed here and not yet known to be recorded, by revision. */
  const failed = new Map<string, { pipeline: ActivePipeline; reason: string }>();
  let lastError = '';

  function accept(row: StoredRunning): ActivePipeline[] {
    const revision = `${row.id}@${row.version}`;
    const checked = checkPipeline(row.definition, limits);
    if (checked.ok) return [{ ...row, definition: checked.definition, revision }];
    skip(revision, `invalid definition (${checked.message})`);
    return [];
  }

  function skip(revision: string, why: string): void {
    if (!reported.has(revision)) log(`pipeline ${revision} skipped: ${why}`);
    reported.add(revision);
  }

  function capped(rows: ActivePipeline[]): ActivePipeline[] {
    const max = limits.pipelineMaxRunning;
    for (const row of rows.slice(max)) skip(row.revision, `more than ${max} pipelines are running (PIPELINES_MAX_RUNNING)`);
    return rows.slice(0, max);
  }

  /** Re-reads now; resolves false (keeping the previous set) when the store cannot be read. */
  function refresh(): Promise<boolean> {
    inFlight ??= (async () => {
      try {
        const recorded = [];
        for (const [revision, { pipeline, reason }] of failed) {
          await recordFailure(pipeline, reason);
          recorded.push(revision);
        }
        const next = capped((await load()).flatMap(accept));
        // Only once a load follows the record: until then this worker alone knows, and must keep skipping it.
        for (const revision of recorded) failed.delete(revision);
        const kept = new Set(next.map((p) => p.revision));
        const removed = active.filter((p) => !kept.has(p.revision)).map((p) => p.revision);
        const added = next.filter((p) => !active.some((a) => a.revision === p.revision)).map((p) => p.revision);
        active = next;
        loaded = true;
        lastError = '';
        if (added.length > 0) log(`pipelines started: ${added.join(', ')}`);
        if (removed.length > 0) {
          log(`pipelines stopped: ${removed.join(', ')}`);
          onRemoved(removed);
        }
        return true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) log(`pipelines: cannot read or update running pipelines (${(lastError = message)}); keeping the last known set`);
        return false;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  return {
    refresh,
    /** True once a load succeeded: before that, a batch must wait, or it would skip running pipelines. */
    loaded: () => loaded,
    /** The running pipelines, less those that failed here. */
    current: () => active.filter((p) => !failed.has(p.revision)),
    /** Those that failed here and are still loaded: their input is counted as skipped until the store says failed. */
    failing: () => active.filter((p) => failed.has(p.revision)),
    /** Stops running `pipeline` here at once and records it as failed with `reason` (see above). */
    fail(pipeline: ActivePipeline, reason: string): void {
      if (!failed.has(pipeline.revision)) failed.set(pipeline.revision, { pipeline, reason });
      void refresh();
    },
    start() {
      timer ??= setInterval(() => void refresh(), refreshMs);
      return refresh();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

export type PipelineRegistry = ReturnType<typeof createPipelineRegistry>;
