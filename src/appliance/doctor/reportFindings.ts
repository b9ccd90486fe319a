/** The report's [Configure errors] (the last boot's refused context), the current context, configuration drift. Pure. */

import { LAYOUT } from '../../core/facts/layout.ts';
import { fail, pass, type Result, warn } from '../../core/lib/result.ts';
import type { SettingsProblem } from '../../core/settings/types.ts';
import type { Sizing } from '../../core/sizing/sizingPlan.ts';

export type Report = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** INI sections of the report: [Section] then `key = value` lines. */
export function parseReport(text: string): Report {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const line of text.split('\n')) {
    const section = /^\[(.+)\]\s*$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const equals = line.indexOf(' = ');
    if (current !== null && equals > 0)
      current.set(line.slice(0, equals).trim(), line.slice(equals + 3).trim());
  }
  return sections;
}

const REPORT_PATH = LAYOUT.report;
const CONTEXT_FIX =
  "correct the variable in the VM's context (Sunstone: VM → Configuration → Context, or onevm updateconf) and reboot the VM, or update it and run `slm-copilot configure`";

export function configureErrorFindings(report: Report | null): Result[] {
  if (report === null) {
    return [
      warn('report', 'Report', {
        reason: `there is no report at ${REPORT_PATH}`,
        cause:
          'configure and bootstrap have not run yet (first boot still in progress) or failed before writing it',
        fix: 'wait for the first boot to finish; otherwise read /var/log/one-appliance/*.log',
      }),
    ];
  }
  const section = report.get('Configure errors');
  if (section === undefined)
    return [pass('configure-errors', 'Last configure', 'the last boot applied the context without errors')];
  const time = section.get('time') ?? 'at the last boot';
  const errors = [...section.entries()].filter(([key]) => key.startsWith('error.'));
  return errors.map(([key, value]) =>
    fail(`configure-${key}`, 'Last configure', {
      reason: `configure refused the context (${time}): ${value}`,
      cause: 'the VM keeps running with its last good configuration until this is fixed',
      fix: CONTEXT_FIX,
    }),
  );
}

export function contextFinding(problems: readonly SettingsProblem[] | null): Result {
  if (problems === null || problems.length === 0)
    return pass('context', 'Context', 'the context variables are valid');
  return fail('context', 'Context', {
    reason: `the context has ${problems.length} problem(s): ${problems.map((p) => `${p.variable}: ${p.message}`).join(' ')}`,
    cause: 'a value that does not follow the ONEAPP_COPILOT_* contract',
    fix: CONTEXT_FIX,
  });
}

function envValue(env: string, name: string): string | null {
  const match = new RegExp(`^${name}=(.*)$`, 'm').exec(env);
  return match === null ? null : (match[1] as string).trim();
}

/** LocalAI's rendered environment against what the plan says now (a resized VM that was only rebooted is fine). */
export function driftFinding(localaiEnv: string | null, sizing: Sizing | null): Result {
  const id = 'config-drift';
  const title = "LocalAI's configuration";
  if (localaiEnv === null) {
    return warn(id, title, {
      reason: "LocalAI's environment file /etc/slm-copilot/local-ai.env is missing",
      cause: 'configure has not written the configuration yet (or refused the context)',
      fix: 'run slm-copilot configure and read what it says',
    });
  }
  if (sizing === null) return pass(id, title, 'written (the current plan does not fit this VM; see memory)');
  const threads = envValue(localaiEnv, 'LOCALAI_THREADS');
  const context = envValue(localaiEnv, 'LOCALAI_CONTEXT_SIZE');
  const differences = [
    threads !== String(sizing.threads) ? `threads ${threads ?? 'unset'} (plan: ${sizing.threads})` : null,
    context !== String(sizing.contextSize)
      ? `context ${context ?? 'unset'} (plan: ${sizing.contextSize})`
      : null,
  ].filter((text): text is string => text !== null);
  if (differences.length === 0) {
    return pass(
      id,
      title,
      `LocalAI is configured as planned: ${sizing.threads} threads, context ${sizing.contextSize}`,
    );
  }
  return warn(id, title, {
    reason: `LocalAI is configured with ${differences.join(', ')}`,
    cause: 'the VM or its context changed since configure last ran',
    fix: 'run slm-copilot configure (or reboot) to apply the current plan',
  });
}
