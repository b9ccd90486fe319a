/** The benchmark as a table for people and one object for scripts. Pure. */
import { explainFailure } from '../check/serverErrors.ts';
import type { Paint } from '../output/render.ts';
import type { Measurement } from './measure.ts';
import type { Diagnosis, SizeSummary } from './summary.ts';
import type { WarmupState } from './warmupState.ts';

const number = (value: number | null, digits = 1) =>
  value === null ? '–' : value >= 1000 ? Math.round(value).toLocaleString('en-US') : value.toFixed(digits);
const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(2)} s`);

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

export function benchTable(summaries: readonly SizeSummary[], repeat: number): string[] {
  const rows: string[][] = [
    ['prompt', 'turn', 'prompt tokens', 'first token', 'prefill tok/s', 'decode tok/s', 'cache reuse'],
  ];
  for (const s of summaries) {
    rows.push([
      s.label,
      '1',
      number(s.promptTokens, 0),
      seconds(s.ttftMs),
      number(s.prefillTokensPerSecond),
      number(s.decodeTokensPerSecond),
      '',
    ]);
    const two = s.secondTurn;
    if (two !== null) {
      const reuse = two.reuse === null ? '–' : `${Math.round(two.reuse * 100)}%`;
      rows.push(['', '2', number(two.promptTokens, 0), seconds(two.ttftMs), '', '', reuse]);
    }
  }
  const sources = [...new Set(summaries.map((s) => s.source).filter((s) => s !== null))];
  const source = sources.includes('server')
    ? "speeds from the server's own timings"
    : 'speeds from arrival times (the server gave no timings)';
  return [
    ...table(rows),
    `(${repeat > 1 ? `medians of ${repeat} runs; ` : ''}${source}; first token = time to first token as this client saw it)`,
  ];
}

export function failureLines(summaries: readonly SizeSummary[]): string[] {
  return summaries.flatMap((s) =>
    s.errors.map((error) => {
      const { cause, fix } = explainFailure(null, error);
      return `${s.label} ${error}\n    cause: ${cause}\n    fix:   ${fix}`;
    }),
  );
}

export function diagnosisLines(diagnoses: readonly Diagnosis[], paint: Paint): string[] {
  const label = { pass: paint('green', 'OK  '), warn: paint('yellow', 'WARN'), info: paint('dim', 'NOTE') };
  return diagnoses.flatMap((d) => [
    `${label[d.status]}  ${d.message}`,
    ...(d.fix === undefined ? [] : [`      ${paint('bold', 'fix:')} ${d.fix}`]),
  ]);
}

/** Measurements without the answer texts (kept only to build the second turn). */
export function benchJson(input: {
  version: string;
  url: string;
  model: string;
  repeat: number;
  maxTokens: number;
  measurements: readonly Measurement[];
  summaries: readonly SizeSummary[];
  diagnoses: readonly Diagnosis[];
  warmup: WarmupState;
  exitCode: number;
}): object {
  return {
    tool: 'slm-copilot bench',
    version: input.version,
    url: input.url,
    model: input.model,
    repeat: input.repeat,
    maxTokens: input.maxTokens,
    exitCode: input.exitCode,
    sizes: input.summaries,
    diagnoses: input.diagnoses,
    warmup: input.warmup,
    measurements: input.measurements.map(({ answer: _answer, ...rest }) => rest),
  };
}
