/** Everything `doctor` looks at, gathered once; the findings are pure functions of this record. */
import type { HostFacts } from '../../core/host/types.ts';
import type { Settings } from '../../core/settings/declarations.ts';
import type { SettingsProblem } from '../../core/settings/types.ts';
import type { UnitObservation } from '../host/port.ts';
import type { RelayHealth } from '../host/relayHealth.ts';
import type { ListenSocket } from './procNet.ts';

export interface DoctorObservations {
  readonly now: Date;
  /** The root everything was read under ('/' on the VM). */
  readonly root: string;
  readonly host: HostFacts | { readonly error: string };
  /** The context as the stages read it. */
  readonly settings:
    | { readonly ok: true; readonly settings: Settings }
    | { readonly ok: false; readonly problems: readonly SettingsProblem[]; readonly defaults: Settings };
  readonly report: string | null;
  /** PEM of what nginx serves, and of what /ca.pem serves. */
  readonly certificate: string | null;
  readonly caPublic: string | null;
  readonly localaiEnv: string | null;
  /** The nginx site: the client site (standalone, front) or the worker site. */
  readonly site: string | null;
  /** The API key map nginx reads (one line a key). */
  readonly apiKeys: string | null;
  /** Whether the OneGate token file a worker's relay and a front's router read exists. */
  readonly oneGateToken: boolean;
  /** Size of the model file, null when it is missing. */
  readonly modelFileBytes: number | null;
  readonly units: Readonly<Record<string, UnitObservation>>;
  /** Listening TCP sockets; null when /proc/net/tcp could not be read. */
  readonly listening: readonly ListenSocket[] | null;
  /** The relay's GET /health; null when not observed. */
  readonly relayHealth: RelayHealth | null;
  /** The VM's current addresses (live runs only; null with --root). */
  readonly addresses: readonly string[] | null;
  /** Files that exist but could not be read (doctor run without root). */
  readonly unreadable: readonly string[];
}
