/** What bootstrap found running, kept so every later configure renders the same report (and writes nothing). */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { ReportRuntime } from '../../core/render/report.ts';
import { writeAtomically } from '../apply/files.ts';

const FILE = 'runtime.json';

export function readRuntime(stateDir: string): ReportRuntime | null {
  const path = posix.join(stateDir, FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ReportRuntime;
  } catch {
    return null;
  }
}

/** Writes only when it changed. */
export function storeRuntime(stateDir: string, runtime: ReportRuntime): void {
  const text = `${JSON.stringify(runtime, null, 2)}\n`;
  const path = posix.join(stateDir, FILE);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeAtomically(path, text, 0o600);
}
