/** How a check run is shown: a summary line for people, one object for CI. Pure. */

import { EXIT } from '../../core/lib/failure.ts';
import { type Result, tally } from '../../core/lib/result.ts';
import type { Paint } from '../output/render.ts';

export function summaryLine(results: readonly Result[], exitCode: number, paint: Paint): string {
  const counts = tally(results);
  const numbers = `${counts.pass} pass, ${counts.fail} fail, ${counts.skip} skip`;
  if (exitCode === EXIT.ok) return paint('green', `check: ${numbers}; every check passed, TLS verified`);
  if (exitCode === EXIT.notVerified) {
    return paint('yellow', `check: ${numbers}; NOT FULLY VERIFIED (see the skipped checks)`);
  }
  return paint('red', `check: ${numbers}; the deployment is not ready for Cline (fix the failures above)`);
}

export function checkJson(input: {
  version: string;
  url: string;
  model: string;
  insecure: boolean;
  results: readonly Result[];
  exitCode: number;
}): object {
  return {
    tool: 'slm-copilot check',
    version: input.version,
    url: input.url,
    model: input.model,
    verified: input.exitCode === EXIT.ok,
    insecure: input.insecure,
    exitCode: input.exitCode,
    summary: tally(input.results),
    results: input.results,
  };
}
