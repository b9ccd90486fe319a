/** The endpoint clients reach: the TLS domain when set, else the VM's first address, else its host name. */
import type { Settings } from '../settings/declarations.ts';
import type { HostFacts } from './types.ts';

export interface Endpoint {
  /** The name clients connect to: the domain when set, else the first address, else the host name. */
  readonly host: string;
  readonly url: string;
  readonly baseUrl: string;
}

export function endpointFor(settings: Settings, host: HostFacts): Endpoint {
  const name = settings.tlsDomain ?? host.network.addresses[0] ?? host.network.hostname;
  const hostPart = name.includes(':') ? `[${name}]` : name;
  const url = `https://${hostPart}`;
  return { host: name, url, baseUrl: `${url}/v1` };
}
