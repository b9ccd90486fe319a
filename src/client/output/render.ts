/** Text rendering of results: one line each, cause and fix indented under failures and warnings. */
import type { Result, Status } from '../../core/lib/result.ts';

/** Colours text on a terminal (the CLI passes its styler; plain text otherwise). */
export type Paint = (style: 'red' | 'yellow' | 'green' | 'bold' | 'dim', text: string) => string;
export const plain: Paint = (_style, text) => text;

const LABEL: Record<Status, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const COLOUR = { pass: 'green', warn: 'yellow', fail: 'red', skip: 'dim' } as const;

/** `idWidth` aligns lines printed one at a time (defaults to the longest id among these results). */
export function resultLines(results: readonly Result[], paint: Paint = plain, idWidth?: number): string[] {
  const width = idWidth ?? Math.max(0, ...results.map((result) => result.id.length));
  const lines: string[] = [];
  for (const result of results) {
    lines.push(
      `${paint(COLOUR[result.status], LABEL[result.status])}  ${result.id.padEnd(width)}  ${result.reason}`,
    );
    const indent = ' '.repeat(width + 8);
    if (result.cause !== undefined) lines.push(`${indent}${paint('dim', 'cause:')} ${result.cause}`);
    if (result.fix !== undefined) lines.push(`${indent}${paint('bold', 'fix:')}   ${result.fix}`);
  }
  return lines;
}
