/**
 * OneGate from inside a VM: the endpoint, the VM's token and ID (one-context's one_env or the token file on the
 * context CD), `PUT /vm` (attributes merged into the VM's USER_TEMPLATE) and `GET /service?extended=true` (the
 * service with every node's whole VM, addresses included).
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';

import type { OneGateAccess } from '../../core/facts/oneflow.ts';
import { Failure } from '../../core/lib/failure.ts';

export type { OneGateAccess };

/** The VM's OneGate access, or null when the VM has no token (TOKEN=YES not set in its context). */
export function oneGateAccess(root: string, env: NodeJS.ProcessEnv): OneGateAccess | null {
  const endpoint = env.ONEGATE_ENDPOINT;
  const tokenFile = posix.join(root, '/run/one-context/token.txt');
  const token = env.TOKENTXT ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!endpoint || !token || !env.VMID) return null;
  return { endpoint: endpoint.replace(/\/$/, ''), token, vmId: env.VMID };
}

/** The OneGate link a service's configuration file names (endpoint, VM ID, the token's file), with the token read. */
export function readOneGateLink(link: {
  readonly endpoint: string;
  readonly vmId: string;
  readonly tokenFile: string;
}): OneGateAccess {
  let token: string;
  try {
    token = readFileSync(link.tokenFile, 'utf8').trim();
  } catch (error) {
    throw new Failure(
      'failed',
      `cannot read the OneGate token ${link.tokenFile}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  return { endpoint: link.endpoint, vmId: link.vmId, token };
}

const headers = (access: OneGateAccess) => ({
  'X-ONEGATE-TOKEN': access.token,
  'X-ONEGATE-VMID': access.vmId,
});

/** Merges `NAME=value` lines into the VM's USER_TEMPLATE; throws with OneGate's status when refused. */
export async function putVm(access: OneGateAccess, values: Readonly<Record<string, string>>): Promise<void> {
  const body = Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');
  const response = await fetch(`${access.endpoint}/vm`, {
    method: 'PUT',
    headers: { ...headers(access), 'Content-Type': 'text/plain' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`OneGate PUT /vm answered ${response.status}`);
}

/** The VM's service with every node's VM (`?extended=true`). */
export async function getServiceExtended(access: OneGateAccess): Promise<unknown> {
  const response = await fetch(`${access.endpoint}/service?extended=true`, {
    headers: headers(access),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    await response.arrayBuffer();
    throw new Error(`OneGate GET /service answered ${response.status}`);
  }
  return response.json();
}
