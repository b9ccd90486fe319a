/**
 * A host port for stages run in this process: the stand-in directory's files, users and recorded programs
 * (recordingHost), with every service action kept in order in `actions`, and `nginx -t` passing or failing as the
 * test says.
 */
import { type HostPort, recordingHost } from '../../src/appliance/host/port.ts';

export interface RecordedHost extends HostPort {
  readonly actions: string[];
}

/** `failNginxTest` says whether the next `nginx -t` fails (its message), checked at each call. */
export function recordedHost(root: string, failNginxTest: () => string | null = () => null): RecordedHost {
  const actions: string[] = [];
  const act = (line: string) => void actions.push(line);
  const started = new Set<string>();
  return {
    ...recordingHost(root),
    actions,
    services: {
      daemonReload: () => act('systemctl daemon-reload'),
      enable: (unit) => act(`systemctl enable ${unit}`),
      disable: (unit) => act(`systemctl disable ${unit}`),
      mask: (unit) => act(`systemctl mask ${unit}`),
      start: (unit) => {
        started.add(unit);
        act(`systemctl start ${unit}`);
      },
      tryRestart: (unit) => act(`systemctl try-restart ${unit}`),
      tryReload: (unit) => act(`systemctl try-reload-or-restart ${unit}`),
      isActive: (unit) => started.has(unit),
      nginxTest: () => {
        act('nginx -t');
        const failure = failNginxTest();
        if (failure !== null) throw new Error(failure);
      },
    },
  };
}
