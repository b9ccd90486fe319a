/**
 * `slm-copilot configure` (every boot and every context change): validate, plan, write only what changed,
 * check nginx's configuration before using it, restart only what must restart. On any refusal the last good
 * configuration stays in place and keeps running.
 */

import { DIRECTORIES } from '../../core/facts/layout.ts';
import { UNITS } from '../../core/facts/units.ts';
import { EXIT } from '../../core/lib/failure.ts';
import { problemSentence } from '../../core/settings/types.ts';
import { applyFiles, ensureDirectories } from '../apply/files.ts';
import type { StageEnvironment } from './environment.ts';
import { writeConfigureErrors } from './errorReport.ts';
import { prepare } from './prepare.ts';
import { snapshot } from './rollback.ts';

export function configure(stage: StageEnvironment): number {
  const { log } = stage;
  log('info', 'configure: reading the context and the host');
  const result = prepare(stage);
  if (!result.ok) {
    for (const problem of result.problems) log('error', problemSentence(problem));
    writeConfigureErrors(stage.host.root, result.problems, stage.now());
    log(
      'error',
      `configure: ${result.problems.length} problem(s); nothing was changed. Fix the context and reboot or update it.`,
    );
    return EXIT.refused;
  }
  const { plan, warnings, tls } = result.prepared;
  for (const warning of warnings) log('warning', warning);
  log(
    'info',
    plan.sizing === null
      ? `configure: OneFlow ${plan.role}, no model on this VM, TLS ${tls.mode}`
      : `configure: ${plan.role === 'standalone' ? '' : `OneFlow ${plan.role}, `}${plan.sizing.threads} threads, context ${plan.sizing.contextSize} tokens, TLS ${tls.mode}`,
  );
  ensureDirectories(DIRECTORIES, { root: stage.host.root, owners: stage.owners });
  const previous = snapshot(
    stage.host.root,
    plan.files.map((file) => file.path),
  );
  const { changed } = applyFiles(plan.files, { root: stage.host.root, owners: stage.owners });
  const touches = (paths: readonly string[]) => paths.some((path) => changed.includes(path));
  const nginx = plan.services.find((service) => service.unit === UNITS.nginx);
  if (tls.issued || (nginx !== undefined && touches(nginx.reloadOnChange))) {
    try {
      stage.host.services.nginxTest();
    } catch (error) {
      previous.restore();
      const problem = {
        variable: 'nginx',
        message: `${(error as Error).message}; the previous configuration was restored.`,
      };
      log('error', `configure: ${problem.message}`);
      writeConfigureErrors(stage.host.root, [problem], stage.now());
      return EXIT.failed;
    }
  }
  // A role change: what this role does not run stops now, and stays off at the next boot.
  for (const unit of plan.unused) {
    if (!stage.host.services.isActive(unit)) continue;
    log('info', `configure: ${unit} is not used by the ${plan.role} role; stopping and disabling it`);
    stage.host.services.disableNow(unit);
  }
  if (changed.some((path) => path.startsWith('/etc/systemd/'))) stage.host.services.daemonReload();
  for (const service of plan.services) {
    if (touches(service.restartOnChange)) {
      log('info', `configure: ${service.unit} configuration changed; restarting it if it runs`);
      stage.host.services.tryRestart(service.unit);
    } else if (touches(service.reloadOnChange) || (service.unit === UNITS.nginx && tls.issued)) {
      log('info', `configure: ${service.unit} configuration changed; reloading it if it runs`);
      stage.host.services.tryReload(service.unit);
    }
  }
  log('info', changed.length === 0 ? 'configure: nothing changed' : `configure: wrote ${changed.join(', ')}`);
  return EXIT.ok;
}
