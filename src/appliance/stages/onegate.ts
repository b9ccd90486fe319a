/**
 * Publishes the endpoint and the CA fingerprint to OneGate (the VM's user template), so the operator sees them
 * in Sunstone. Only when the VM has a OneGate token; skipped quietly otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';

export interface OneGateValues {
  readonly [name: string]: string;
}

export type OneGateResult = 'published' | 'skipped' | { readonly failed: string };

export async function publishToOneGate(
  root: string,
  env: NodeJS.ProcessEnv,
  values: OneGateValues,
): Promise<OneGateResult> {
  const endpoint = env.ONEGATE_ENDPOINT;
  const tokenFile = posix.join(root, '/run/one-context/token.txt');
  const token = env.TOKENTXT ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!endpoint || !token || !env.VMID) return 'skipped';
  const body = Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');
  try {
    const response = await fetch(`${endpoint.replace(/\/$/, '')}/vm`, {
      method: 'PUT',
      headers: { 'X-ONEGATE-TOKEN': token, 'X-ONEGATE-VMID': env.VMID, 'Content-Type': 'text/plain' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return response.ok ? 'published' : { failed: `OneGate answered ${response.status}` };
  } catch (error) {
    return { failed: (error as Error).message };
  }
}
