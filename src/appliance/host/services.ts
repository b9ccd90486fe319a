/**
 * The service manager behind a small interface: systemd on the appliance; under a directory standing in for the
 * machine (--root) its actions are appended one per line to ROOT/services.log, so tests and reviewers see what a
 * boot would do. `nginx -t` always runs. Which one a run gets is decided once, by the host port (port.ts).
 */
import { appendFileSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import { ranOk, runSync, succeeded } from '../../system/process.ts';

export interface ServiceManager {
  daemonReload(): void;
  enable(unit: string): void;
  disable(unit: string): void;
  /** Stops and disables (a unit the VM's role does not run). */
  disableNow(unit: string): void;
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
}

const systemctl = (...args: string[]) => void succeeded(runSync('systemctl', args));

function nginxTest(root: string): void {
  const config = posix.join(root, LAYOUT.nginxMainConfig);
  const errorLog = posix.join(root, LAYOUT.nginxLogDir, 'error.log');
  succeeded(runSync('nginx', ['-t', '-q', '-c', config, '-e', errorLog]));
}

export const systemd: ServiceManager = {
  daemonReload: () => systemctl('daemon-reload'),
  enable: (unit) => systemctl('enable', unit),
  disable: (unit) => systemctl('disable', unit),
  disableNow: (unit) => systemctl('disable', '--now', unit),
  mask: (unit) => systemctl('mask', unit),
  start: (unit) => systemctl('start', unit),
  tryRestart: (unit) => systemctl('try-restart', unit),
  tryReload: (unit) => systemctl('try-reload-or-restart', unit),
  isActive: (unit) => ranOk(runSync('systemctl', ['is-active', '--quiet', unit])),
  nginxTest: () => nginxTest('/'),
};

export const SERVICES_LOG = 'services.log';

/** Appends one line to ROOT/services.log: what the machine would have been asked to do. */
export const recordUnder = (root: string) => (line: string) =>
  appendFileSync(posix.join(root, SERVICES_LOG), `${line}\n`, { mode: 0o644 });

export interface Recording {
  /** Where each action goes (default: ROOT/services.log). */
  readonly record?: (line: string) => void;
  /** The nginx check after `nginx -t` is recorded (default: nginx itself, on the root's configuration). */
  readonly checkNginx?: () => void;
}

/** Records actions; units count as active once recorded as started. */
export function recordingServices(
  root: string,
  { record = recordUnder(root), checkNginx = () => nginxTest(root) }: Recording = {},
): ServiceManager {
  const started = new Set<string>();
  return {
    daemonReload: () => record('systemctl daemon-reload'),
    enable: (unit) => record(`systemctl enable ${unit}`),
    disable: (unit) => record(`systemctl disable ${unit}`),
    disableNow: (unit) => {
      started.delete(unit);
      record(`systemctl disable --now ${unit}`);
    },
    mask: (unit) => record(`systemctl mask ${unit}`),
    start: (unit) => {
      started.add(unit);
      record(`systemctl start ${unit}`);
    },
    tryRestart: (unit) => record(`systemctl try-restart ${unit}`),
    tryReload: (unit) => record(`systemctl try-reload-or-restart ${unit}`),
    isActive: (unit) => started.has(unit),
    nginxTest: () => {
      record('nginx -t');
      checkNginx();
    },
  };
}
