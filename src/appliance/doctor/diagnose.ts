/** All of doctor's findings, in the order to read them, from one record of observations. Pure. */

import { UNITS } from '../../core/facts/units.ts';
import { fail, type Result, warn } from '../../core/lib/result.ts';
import { planSizing } from '../../core/sizing/sizingPlan.ts';
import { workersOf } from '../host/relayHealth.ts';
import { cpuVariantFromLog } from './cpuVariant.ts';
import {
  coresFinding,
  cpuFinding,
  diskFinding,
  memoryFinding,
  modelFileFinding,
  variantFinding,
} from './hardwareFindings.ts';
import type { DoctorObservations } from './observations.ts';
import { configureErrorFindings, contextFinding, driftFinding, parseReport } from './reportFindings.ts';
import {
  keysPerWorkerFinding,
  oneGateTokenFinding,
  readyPublishedFinding,
  routerFinding,
  workerSiteFinding,
} from './roleFindings.ts';
import { portFindings, relayFinding, unitFinding } from './serviceFindings.ts';
import { certificateFindings } from './tlsFindings.ts';

export function diagnose(observed: DoctorObservations): Result[] {
  const settings = observed.settings.ok ? observed.settings.settings : observed.settings.defaults;
  const report = observed.report === null ? null : parseReport(observed.report);
  const results: Result[] = [];
  if (observed.unreadable.length > 0) {
    results.push(
      warn('permissions', 'Permissions', {
        reason: `could not read ${observed.unreadable.join(', ')}`,
        cause: 'doctor runs without root; the report, keys and LocalAI configuration are root-only',
        fix: 'run sudo slm-copilot doctor',
      }),
    );
  }
  const host = observed.host;
  // A front runs no model: its CPU, RAM, model disk and file, and LocalAI are not looked at.
  const model = settings.role !== 'front';
  let sizing = null;
  if ('error' in host) {
    results.push(
      fail('host', 'Host facts', {
        reason: host.error,
        cause: 'the /proc files could not be read',
        fix: 'run doctor as root on the VM (or give --proc)',
      }),
    );
  } else {
    const sized = planSizing(settings, host);
    sizing = sized.ok ? sized.sizing : null;
    if (model) {
      results.push(cpuFinding(host));
      results.push(coresFinding(host, sized.ok ? sized.sizing.threads : host.cpu.physicalCores));
      results.push(memoryFinding(host, sized));
      results.push(diskFinding(host));
    }
  }
  if (model) {
    results.push(modelFileFinding(observed.modelFileBytes));
    results.push(variantFinding(cpuVariantFromLog(observed.units[UNITS.localai]?.journal ?? null)));
  }
  for (const [unit, unitObserved] of Object.entries(observed.units))
    results.push(unitFinding(unit, unitObserved));
  results.push(...portFindings(observed.listening, settings.tlsDomain, settings.role));
  if (settings.role === 'front') {
    results.push(routerFinding(observed.relayHealth));
    results.push(keysPerWorkerFinding(observed.apiKeys, workersOf(observed.relayHealth)));
  } else {
    results.push(relayFinding(observed.relayHealth));
  }
  if (settings.role === 'worker') {
    results.push(workerSiteFinding(observed.site, settings.frontAddress));
    results.push(oneGateTokenFinding(observed.oneGateToken));
    results.push(readyPublishedFinding(observed.units[UNITS.relay]?.journal ?? null));
  }
  results.push(
    ...certificateFindings(observed.certificate, observed.caPublic, report, observed.addresses, observed.now),
  );
  results.push(contextFinding(observed.settings.ok ? null : observed.settings.problems));
  results.push(...configureErrorFindings(report));
  if (model) results.push(driftFinding(observed.localaiEnv, sizing));
  return results;
}
