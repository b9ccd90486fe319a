/** Prometheus text exposition format 0.0.4: HELP/TYPE lines, label escaping, histograms. Pure. */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

export function header(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

export function sample(name: string, labels: Labels, value: number): string {
  return `${name}${labelText(labels)} ${formatValue(value)}\n`;
}

/** A histogram with fixed upper bounds (ascending); observations are counted in the first bucket they fit. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.sum += value;
    this.count += 1;
    const index = this.bounds.findIndex((bound) => value <= bound);
    if (index !== -1) this.counts[index] = (this.counts[index] as number) + 1;
  }

  render(name: string, help: string): string {
    let text = header(name, 'histogram', help);
    let cumulative = 0;
    this.bounds.forEach((bound, index) => {
      cumulative += this.counts[index] as number;
      text += sample(`${name}_bucket`, { le: formatValue(bound) }, cumulative);
    });
    text += sample(`${name}_bucket`, { le: '+Inf' }, this.count);
    text += sample(`${name}_sum`, {}, this.sum);
    text += sample(`${name}_count`, {}, this.count);
    return text;
  }
}
