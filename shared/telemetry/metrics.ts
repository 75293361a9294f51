/**
 * A small Prometheus registry: counters, gauges and histograms with a fixed label set declared up front, rendered in
 * the text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/). Label values are
 * checked against a cap per metric so an unbounded value (an event type from the wire, a user id) cannot grow memory
 * without bound: past the cap, values collapse into `other`.
 */
type Labels<L extends string> = Partial<Record<L, string>>;

const MAX_SERIES = 200;
const NAME = /^[a-z][a-z0-9_]*$/;

abstract class Metric<L extends string> {
  protected readonly series = new Map<string, { labels: Labels<L>; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {
    if (!NAME.test(name)) throw new Error(`metric name "${name}" must be snake_case <component>_<what>_<unit>`);
  }
  protected slot(labels: Labels<L>): { labels: Labels<L>; value: number } {
    let id = this.key(labels);
    let entry = this.series.get(id);
    if (!entry) {
      if (this.series.size >= MAX_SERIES) {
        labels = Object.fromEntries(this.labelNames.map((n) => [n, 'other'])) as Labels<L>;
        id = this.labelNames.map(() => 'other').join('\u0000');
        entry = this.series.get(id);
      }
      if (!entry) {
        entry = { labels, value: 0 };
        this.series.set(id, entry);
      }
    }
    return entry;
  }
  /** The series id; a plain loop, since the edge updates several series per request. */
  protected key(labels: Labels<L>): string {
    const names = this.labelNames;
    let id = '';
    for (let i = 0; i < names.length; i++) id += (i === 0 ? '' : '\u0000') + (labels[names[i]!] ?? '');
    return id;
  }
  abstract readonly type: string;
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.values()) lines.push(`${this.name}${fmt(labels)} ${value}`);
    return lines;
  }
}

export class Counter<L extends string = never> extends Metric<L> {
  readonly type = 'counter';
  inc(labels: Labels<L> = {}, by = 1): void {
    this.slot(labels).value += by;
  }
  get(labels: Labels<L> = {}): number {
    return this.slot(labels).value;
  }
}

export class Gauge<L extends string = never> extends Metric<L> {
  readonly type = 'gauge';
  set(labels: Labels<L>, value: number): void {
    this.slot(labels).value = value;
  }
  get(labels: Labels<L> = {}): number {
    return this.slot(labels).value;
  }
}

export class Histogram<L extends string = never> extends Metric<L> {
  readonly type = 'histogram';
  private readonly buckets = new Map<string, { labels: Labels<L>; counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, labelNames: readonly L[], readonly bounds: readonly number[]) {
    super(name, help, labelNames);
  }
  observe(labels: Labels<L>, value: number): void {
    let h = this.buckets.get(this.key(labels));
    if (!h) {
      const key = this.slot(labels);
      const id = this.key(key.labels);
      h = this.buckets.get(id);
      if (!h) {
        h = { labels: key.labels, counts: this.bounds.map(() => 0), sum: 0, count: 0 };
        this.buckets.set(id, h);
      }
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) h.counts[i]!++;
    h.sum += value;
    h.count++;
  }
  override render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const h of this.buckets.values()) {
      this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket${fmt({ ...h.labels, le: String(b) })} ${h.counts[i]}`));
      lines.push(`${this.name}_bucket${fmt({ ...h.labels, le: '+Inf' })} ${h.count}`);
      lines.push(`${this.name}_sum${fmt(h.labels)} ${h.sum}`, `${this.name}_count${fmt(h.labels)} ${h.count}`);
    }
    return lines;
  }
}

export class Registry {
  private readonly metrics: Array<Metric<string>> = [];
  counter<L extends string = never>(name: string, help: string, labels: readonly L[] = []): Counter<L> {
    return this.add(new Counter<L>(name, help, labels));
  }
  gauge<L extends string = never>(name: string, help: string, labels: readonly L[] = []): Gauge<L> {
    return this.add(new Gauge<L>(name, help, labels));
  }
  histogram<L extends string = never>(name: string, help: string, labels: readonly L[], bounds: readonly number[]): Histogram<L> {
    return this.add(new Histogram<L>(name, help, labels, bounds));
  }
  /** Prometheus text format, with process memory appended so RSS is visible without another exporter. */
  render(): string {
    const mem = process.memoryUsage();
    const lines = this.metrics.flatMap((m) => m.render());
    lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${mem.rss}`);
    return `${lines.join('\n')}\n`;
  }
  private add<M extends Metric<string>>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }
}

/** Latency buckets in seconds, from 0.5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
function fmt(labels: Record<string, string | undefined>): string {
  const parts = Object.entries(labels)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${escape(v!)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
