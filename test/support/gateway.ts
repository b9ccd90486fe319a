/** A running gateway for tests: the LocalAI stand-in behind `slm-copilot sandbox` (real nginx), plus its CA. */
import { readFileSync } from 'node:fs';
import {
  type LocalaiStandin,
  type StandinOptions,
  startLocalaiStandin,
} from '../../tools/standin/localaiStandin.ts';
import { request } from './https.ts';
import { type RunningSandbox, type SandboxStart, startSandbox } from './sandbox.ts';

/** The sandbox in front of some upstream, with the CA it serves and its first key. */
export interface SandboxFront {
  readonly sandbox: RunningSandbox;
  /** The CA as GET /ca.pem served it (fetched without trust, then checked against the sandbox's file). */
  readonly caPem: string;
  /** First API key. */
  readonly key: string;
}

export interface Gateway extends SandboxFront {
  readonly standin: LocalaiStandin;
  close(): Promise<void>;
}

/** Starts `slm-copilot sandbox` in front of `upstream` and reads the CA it serves and its first key. */
export async function startSandboxFront(
  upstream: string,
  options: Omit<SandboxStart, 'upstream'> = {},
): Promise<SandboxFront> {
  const sandbox = await startSandbox({ ...options, upstream });
  try {
    const served = await request(`${sandbox.url}/ca.pem`);
    if (served.body !== readFileSync(sandbox.caPath, 'utf8'))
      throw new Error('/ca.pem differs from the sandbox CA file');
    return { sandbox, caPem: served.body, key: Object.values(sandbox.credentials.keys)[0] as string };
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
}

export async function startGateway(
  options: { standin?: StandinOptions; sandbox?: Omit<SandboxStart, 'upstream'> } = {},
): Promise<Gateway> {
  const standin = await startLocalaiStandin(options.standin ?? {});
  let front: SandboxFront;
  try {
    front = await startSandboxFront(standin.url, options.sandbox);
  } catch (error) {
    await standin.close();
    throw error;
  }
  return {
    standin,
    ...front,
    close: async () => {
      await front.sandbox.stop();
      await standin.close();
    },
  };
}

export const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'devstral-small-2', messages: [{ role: 'user', content: 'hello' }], ...extra });
