/**
 * A figure of the bench report and its math, with no I/O: a measurement beside its reference from the same run (a
 * peer, or a limit), turned into a ratio and judged against a target.
 */
export type Op = '>=' | '<=';
export interface Target {
  op: Op;
  value: number;
}
/** n/a: not measured (a part failed or was skipped); info: reported, no target. */
export type Status = 'met' | 'missed' | 'n/a' | 'info';

export interface Quantity {
  /** What was measured, e.g. "edge" or "Node peer". */
  name: string;
  value: number | undefined;
  unit: string;
}

export interface Figure {
  id: string;
  /** Which part of the system: edge, batch, workers, e2e, query, memory, kafka, windows, audit. */
  part: string;
  label: string;
  /** The system under test. */
  subject: Quantity;
  /** The peer or the limit it is measured against. */
  reference: Quantity;
  /** subject / reference for peers; the measured value for limits (unit ms, MB, ...). */
  value: number | undefined;
  unit: string;
  target: Target | undefined;
  status: Status;
  /** value as a fraction of its target, oriented so that ≥ 1 means met (for the chart). */
  score: number | undefined;
  note?: string;
  /**
   * A row beside a judged one that explains it (the edge's CPU per event beside a throughput ratio): shown with its
   * target and verdict, left out of the summary and the chart, so the judged rows stay the ones counted.
   */
  supporting?: boolean;
}

/** A rate (events/s unless told) and a CPU cost per event, as the figures' subjects and references. */
export const rps = (name: string, value: number | undefined, unit = 'events/s'): Quantity => ({ name, value, unit });
export const perEvent = (name: string, value: number | undefined): Quantity => ({ name, value, unit: 'µs CPU/event' });

const finite = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** a / b, or undefined when either is missing, not finite, or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (!finite(a) || !finite(b) || b <= 0 || a < 0) return undefined;
  return a / b;
}

export function judge(value: number | undefined, target: Target | undefined): Status {
  if (!finite(value) || !target) return 'n/a';
  return (target.op === '>=' ? value >= target.value : value <= target.value) ? 'met' : 'missed';
}

/** How far a value is towards its target, ≥ 1 when met, whichever way the target points. */
export function score(value: number | undefined, target: Target | undefined): number | undefined {
  if (!finite(value) || !target || target.value <= 0) return undefined;
  if (target.op === '>=') return value / target.value;
  return value <= 0 ? Number.POSITIVE_INFINITY : target.value / value;
}

/** A peer figure: subject / reference, judged against a minimum (or maximum) ratio. */
export function peerFigure(f: { id: string; part: string; label: string; subject: Quantity; reference: Quantity; target?: Target; note?: string | undefined; supporting?: boolean }): Figure {
  const value = ratio(f.subject.value, f.reference.value);
  const status = !f.target && finite(value) ? 'info' : judge(value, f.target);
  return { ...f, value, unit: '×', target: f.target, status, score: score(value, f.target) };
}

/** A limit figure: the measured value against a fixed limit (the reference is the limit itself). */
export function limitFigure(f: { id: string; part: string; label: string; subject: Quantity; target?: Target; note?: string | undefined; peer?: Quantity }): Figure {
  const value = f.subject.value;
  const status = !f.target && finite(value) ? 'info' : judge(value, f.target);
  return {
    id: f.id,
    part: f.part,
    label: f.label,
    subject: f.subject,
    reference: f.peer ?? (f.target ? { name: 'limit', value: f.target.value, unit: f.subject.unit } : { name: '—', value: undefined, unit: f.subject.unit }),
    value,
    unit: f.subject.unit,
    target: f.target,
    status,
    score: score(value, f.target),
    ...(f.note !== undefined && { note: f.note }),
  };
}

export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Verdicts over the figures that have a target (reported-only and supporting figures are left out). */
export function summary(all: readonly Figure[]): { met: number; missed: number; na: number } {
  const figures = all.filter((f) => f.target && !f.supporting);
  return {
    met: figures.filter((f) => f.status === 'met').length,
    missed: figures.filter((f) => f.status === 'missed').length,
    na: figures.filter((f) => f.status === 'n/a').length,
  };
}

/** An on/off pair for single events and batches: events/s, and µs of edge CPU per event, of each side. */
export interface OnOffCpu {
  singleOn?: number;
  singleOff?: number;
  batchOn?: number;
  batchOff?: number;
  singleCpuOn?: number;
  singleCpuOff?: number;
  batchCpuOn?: number;
  batchCpuOff?: number;
}

/**
 * One server taking, on /v1/events, the events Segment's route makes of the Segment bodies (segment) and the edge's own
 * batch body (own), in ABBA legs: events/s and µs of the server's CPU per event of each.
 */
export type SameRecords = { segment?: number; own?: number; segmentCpuUs?: number; ownCpuUs?: number };
