/**
 * Publishes the endpoint and the CA fingerprint to OneGate (the VM's user template), so the operator sees them
 * in Sunstone and a OneFlow front can pin a worker's certificate. Only when the VM has a OneGate token; skipped
 * quietly otherwise.
 */
import { oneGateAccess, putVm } from '../onegate/client.ts';

export interface OneGateValues {
  readonly [name: string]: string;
}

export type OneGateResult = 'published' | 'skipped' | { readonly failed: string };

export async function publishToOneGate(
  root: string,
  env: NodeJS.ProcessEnv,
  values: OneGateValues,
): Promise<OneGateResult> {
  const access = oneGateAccess(root, env);
  if (access === null) return 'skipped';
  try {
    await putVm(access, values);
    return 'published';
  } catch (error) {
    return { failed: (error as Error).message };
  }
}
