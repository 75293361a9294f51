/**
 * A small Prometheus registry: counters, gauges and histograms with a fixed label set declared up front, rendered in
 * the text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/). Label values are
 * checked against a cap per metric so an unbounded value (an event type from the wire, a user id) cannot grow memory
 * without bound: past the cap, values collapse into `other`.
 */
type Labels<L extends string> = Partial<Record<L, string>>;

const MAX_SERIES = 200;
const NAME = /^[a-z][a-z0-9_]*$/;

interface Series<L extends string> {
  readonly labels: Labels<L>;
}

/** Series looked up by their label values, one Map level per label: no key string is built per update. */
type Trie = Map<string, unknown>;

abstract class Metric<L extends string, S extends Series<L>> {
  protected readonly series = new Map<string, S>();
  private readonly index: Trie = new Map();
  private unlabelled: S | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {
    if (!NAME.test(name)) throw new Error(`metric name "${name}" must be snake_case <component>_<what>_<unit>`);
  }
  protected abstract create(labels: Labels<L>): S;
  /**
   * The series for these label values. Hot: the edge updates three series per request, and building a joined key
   * string for each update was ~5% of its CPU in bench:edge's profile.
   */
  protected slot(labels: Labels<L>): S {
    const names = this.labelNames;
    if (names.length === 0) return (this.unlabelled ??= this.added('', labels));
    let node: Trie = this.index;
    for (let i = 0; i < names.length - 1; i++) {
      const next = node.get(labels[names[i]!] ?? '') as Trie | undefined;
      if (next === undefined) return this.miss(labels);
      node = next;
    }
    return (node.get(labels[names[names.length - 1]!] ?? '') as S | undefined) ?? this.miss(labels);
  }
  /** First sight of these label values: a new series, or past the cap the shared `other` one (not indexed, so
   * unbounded values cannot grow the index either). */
  private miss(labels: Labels<L>): S {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const id = values.join('\u0000');
    const known = this.series.get(id);
    if (known) return this.indexed(values, known);
    if (this.series.size < MAX_SERIES) return this.indexed(values, this.added(id, labels));
    const other = this.labelNames.map(() => 'other').join('\u0000');
    return this.series.get(other) ?? this.added(other, Object.fromEntries(this.labelNames.map((n) => [n, 'other'])) as Labels<L>);
  }
  private added(id: string, labels: Labels<L>): S {
    const entry = this.create(labels);
    this.series.set(id, entry);
    return entry;
  }
  private indexed(values: readonly string[], entry: S): S {
    let node = this.index;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i]!) as Trie | undefined;
      if (next === undefined) node.set(values[i]!, (next = new Map()));
      node = next;
    }
    node.set(values[values.length - 1]!, entry);
    return entry;
  }
  abstract readonly type: string;
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series.values()) lines.push(...this.lines(s));
    return lines;
  }
  protected abstract lines(s: S): string[];
}

interface ValueSeries<L extends string> extends Series<L> {
  value: number;
}

/** Counters and gauges: one number per series. */
abstract class ValueMetric<L extends string> extends Metric<L, ValueSeries<L>> {
  protected create(labels: Labels<L>): ValueSeries<L> {
    return { labels, value: 0 };
  }
  protected lines(s: ValueSeries<L>): string[] {
    return [`${this.name}${fmt(s.labels)} ${s.value}`];
  }
}

export class Counter<L extends string = never> extends ValueMetric<L> {
  readonly type = 'counter';
  inc(labels: Labels<L> = {}, by = 1): void {
    this.slot(labels).value += by;
  }
  get(labels: Labels<L> = {}): number {
    return this.slot(labels).value;
  }
}

export class Gauge<L extends string = never> extends ValueMetric<L> {
  readonly type = 'gauge';
  set(labels: Labels<L>, value: number): void {
    this.slot(labels).value = value;
  }
  get(labels: Labels<L> = {}): number {
    return this.slot(labels).value;
  }
}

interface Buckets<L extends string> extends Series<L> {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends Metric<L, Buckets<L>> {
  readonly type = 'histogram';
  constructor(name: string, help: string, labelNames: readonly L[], readonly bounds: readonly number[]) {
    super(name, help, labelNames);
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error(`histogram ${name}: bucket bounds must increase`);
  }
  protected create(labels: Labels<L>): Buckets<L> {
    return { labels, counts: this.bounds.map(() => 0), sum: 0, count: 0 };
  }
  /**
   * Counts the value in its own bucket only (found by binary search) and leaves the cumulative `le` counts to render:
   * with 47 latency buckets, incrementing every bucket >= the value would be ~20 writes per request on the edge.
   */
  observe(labels: Labels<L>, value: number): void {
    const h = this.slot(labels);
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value <= bounds[mid]!) hi = mid;
      else lo = mid + 1;
    }
    if (lo < bounds.length) h.counts[lo]!++;
    h.sum += value;
    h.count++;
  }
  protected lines(h: Buckets<L>): string[] {
    let cumulative = 0;
    const lines = this.bounds.map((b, i) => `${this.name}_bucket${fmt({ ...h.labels, le: String(b) })} ${(cumulative += h.counts[i]!)}`);
    lines.push(`${this.name}_bucket${fmt({ ...h.labels, le: '+Inf' })} ${h.count}`);
    lines.push(`${this.name}_sum${fmt(h.labels)} ${h.sum}`, `${this.name}_count${fmt(h.labels)} ${h.count}`);
    return lines;
  }
}

export class Registry {
  private readonly metrics: Array<Metric<string, Series<string>>> = [];
  counter<L extends string = never>(name: string, help: string, labels: readonly L[] = []): Counter<L> {
    return this.add(new Counter<L>(name, help, labels));
  }
  gauge<L extends string = never>(name: string, help: string, labels: readonly L[] = []): Gauge<L> {
    return this.add(new Gauge<L>(name, help, labels));
  }
  histogram<L extends string = never>(name: string, help: string, labels: readonly L[], bounds: readonly number[]): Histogram<L> {
    return this.add(new Histogram<L>(name, help, labels, bounds));
  }
  /**
   * Prometheus text format, with process memory appended so RSS is visible without another exporter. Files for
   * node_exporter's textfile collector leave it out (`processMetrics: false`): node_exporter exposes its own
   * process_resident_memory_bytes, and a second series of the same name fails its whole scrape.
   */
  render({ processMetrics = true }: { processMetrics?: boolean } = {}): string {
    const lines = this.metrics.flatMap((m) => m.render());
    if (processMetrics) {
      lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge');
      lines.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    }
    return `${lines.join('\n')}\n`;
  }
  private add<M extends Metric<string, Series<string>>>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }
}

/**
 * Log-linear bucket bounds: each decade from `from` up to `to` (inclusive) split at `mantissas` times its power of
 * ten. Linear steps inside a decade keep every bucket within a fixed fraction of its value (1.5 -> 2 is 33%, 8 -> 9
 * is 13%), so a percentile interpolated inside its bucket, as histogram_quantile does, lands near the true value
 * instead of on a 1-2.5-5 bound that may be 2.5x off.
 */
export function logLinearBuckets({ from = 0.001, to = 60, mantissas = [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9] }: { from?: number; to?: number; mantissas?: readonly number[] } = {}): number[] {
  const bounds: number[] = [];
  for (let decade = from; decade <= to; decade *= 10) {
    for (const m of mantissas) {
      // toPrecision drops float noise (7 * 0.001 = 0.007000000000000001), which would show in the `le` label.
      const bound = Number((m * decade).toPrecision(12));
      if (bound <= to) bounds.push(bound);
    }
  }
  return bounds;
}

/**
 * Latency buckets in seconds, 1 ms to 60 s, 10 per decade: 47 buckets (49 series with +Inf, _sum and _count per label
 * set). Each bucket is at most half its lower bound wide (1 -> 1.5) and a quarter or less from 4 up, enough for
 * p50/p95/p99 of produce and sink latency; coarser puts percentiles back on bucket bounds, finer multiplies series for
 * every label value.
 */
export const LATENCY_BUCKETS = logLinearBuckets();

/**
 * Request durations where the shape matters more than the percentile (one series per route): 1 ms to 10 s, 1-2.5-5
 * per decade, 13 buckets.
 */
export const COARSE_LATENCY_BUCKETS = logLinearBuckets({ from: 0.001, to: 10, mantissas: [1, 2.5, 5] });

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
function fmt(labels: Record<string, string | undefined>): string {
  const parts = Object.entries(labels)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${escape(v!)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
