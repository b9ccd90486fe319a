/**
 * A host port for stages run in this process: the stand-in directory's files, users and recorded programs
 * (recordingHost), with every service action kept in order in `actions`, and `nginx -t` passing or failing as the
 * test says.
 */
import { type HostPort, recordingHost } from '../../src/appliance/host/port.ts';
import { recordingServices } from '../../src/appliance/host/services.ts';

export interface RecordedHost extends HostPort {
  readonly actions: string[];
}

/** `failNginxTest` says whether the next `nginx -t` fails (its message), checked at each call. */
export function recordedHost(root: string, failNginxTest: () => string | null = () => null): RecordedHost {
  const actions: string[] = [];
  return {
    ...recordingHost(root),
    actions,
    services: recordingServices(root, {
      record: (line) => void actions.push(line),
      checkNginx: () => {
        const failure = failNginxTest();
        if (failure !== null) throw new Error(failure);
      },
    }),
  };
}
