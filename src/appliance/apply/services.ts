/**
 * The service manager behind a small interface: systemd on the appliance; with --root, actions are appended one
 * per line to ROOT/services.log instead, so tests and reviewers see what a boot would do. `nginx -t` always runs.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';

export interface ServiceManager {
  daemonReload(): void;
  enable(unit: string): void;
  disable(unit: string): void;
  /** Never start, even as a dependency (phone-home timers). */
  mask(unit: string): void;
  start(unit: string): void;
  /** Restart only if running (systemctl try-restart). */
  tryRestart(unit: string): void;
  /** Reload if running, else nothing (nginx re-reads its configuration without dropping connections). */
  tryReload(unit: string): void;
  isActive(unit: string): boolean;
  /** Validates the nginx configuration; throws with nginx's message. */
  nginxTest(): void;
  /** With --root only: note an action that was not run (package installs, backend install). */
  record?(line: string): void;
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

function nginxTest(root: string): void {
  const config = posix.join(root, LAYOUT.nginxMainConfig);
  const errorLog = posix.join(root, LAYOUT.nginxLogDir, 'error.log');
  run('nginx', ['-t', '-q', '-c', config, '-e', errorLog]);
}

export const systemd: ServiceManager = {
  daemonReload: () => void run('systemctl', ['daemon-reload']),
  enable: (unit) => void run('systemctl', ['enable', unit]),
  disable: (unit) => void run('systemctl', ['disable', unit]),
  mask: (unit) => void run('systemctl', ['mask', unit]),
  start: (unit) => void run('systemctl', ['start', unit]),
  tryRestart: (unit) => void run('systemctl', ['try-restart', unit]),
  tryReload: (unit) => void run('systemctl', ['try-reload-or-restart', unit]),
  isActive: (unit) => {
    try {
      return run('systemctl', ['is-active', '--quiet', unit]) === '';
    } catch {
      return false;
    }
  },
  nginxTest: () => nginxTest('/'),
};

export const SERVICES_LOG = 'services.log';

/** Records actions under root; units count as active once recorded as started. */
export function recordingServices(root: string): ServiceManager {
  const started = new Set<string>();
  const record = (line: string) =>
    appendFileSync(posix.join(root, SERVICES_LOG), `${line}\n`, { mode: 0o644 });
  return {
    daemonReload: () => record('systemctl daemon-reload'),
    enable: (unit) => record(`systemctl enable ${unit}`),
    disable: (unit) => record(`systemctl disable ${unit}`),
    mask: (unit) => record(`systemctl mask ${unit}`),
    record,
    start: (unit) => {
      started.add(unit);
      record(`systemctl start ${unit}`);
    },
    tryRestart: (unit) => record(`systemctl try-restart ${unit}`),
    tryReload: (unit) => record(`systemctl try-reload-or-restart ${unit}`),
    isActive: (unit) => started.has(unit),
    nginxTest: () => {
      nginxTest(root);
      record('nginx -t');
    },
  };
}
