/**
 * When configure refuses the context, the report says so at the top — and keeps the rest of the last good
 * report (the appliance keeps serving with it), so the operator still sees how to connect.
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import type { SettingsProblem } from '../../core/settings/types.ts';
import { writeAtomically } from '../apply/files.ts';

const SECTION = '[Configure errors]';

/** Pure: the report text with a fresh errors section after its header comment (none when there are no problems). */
export function withConfigureErrors(
  report: string,
  problems: readonly SettingsProblem[],
  when: Date,
): string {
  const cleaned = report.replace(/\[Configure errors\]\n(?:[^\n]+\n)*\n?/, '');
  if (problems.length === 0) return cleaned;
  const section = [
    SECTION,
    `time = ${when.toISOString()}`,
    'state = the new context was refused; the appliance keeps running with its last good configuration',
    ...problems.map((problem, index) => `error.${index + 1} = ${problem.variable}: ${problem.message}`),
  ].join('\n');
  const header = /^(?:#[^\n]*\n)+\n?/.exec(cleaned)?.[0] ?? '';
  return `${header}${section}\n\n${cleaned.slice(header.length)}`;
}

export function writeConfigureErrors(root: string, problems: readonly SettingsProblem[], when: Date): void {
  const path = posix.join(root, LAYOUT.report);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# SLM-Copilot report.\n';
  writeAtomically(path, withConfigureErrors(current, problems, when), 0o600);
}
