/** A running gateway for tests: the LocalAI stand-in behind `slm-copilot sandbox` (real nginx), plus its CA. */
import { readFileSync } from 'node:fs';
import {
  type LocalaiStandin,
  type StandinOptions,
  startLocalaiStandin,
} from '../../tools/standin/localaiStandin.ts';
import { request } from './https.ts';
import { type RunningSandbox, type SandboxStart, startSandbox } from './sandbox.ts';

export interface Gateway {
  readonly standin: LocalaiStandin;
  readonly sandbox: RunningSandbox;
  /** The CA as GET /ca.pem served it (fetched without trust, then checked against the sandbox's file). */
  readonly caPem: string;
  /** First API key. */
  readonly key: string;
  close(): Promise<void>;
}

export async function startGateway(
  options: { standin?: StandinOptions; sandbox?: Omit<SandboxStart, 'upstream'> } = {},
): Promise<Gateway> {
  const standin = await startLocalaiStandin(options.standin ?? {});
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ ...options.sandbox, upstream: standin.url });
  } catch (error) {
    await standin.close();
    throw error;
  }
  const served = await request(`${sandbox.url}/ca.pem`);
  const caPem = served.body;
  if (caPem !== readFileSync(sandbox.caPath, 'utf8'))
    throw new Error('/ca.pem differs from the sandbox CA file');
  const key = Object.values(sandbox.credentials.keys)[0] as string;
  return {
    standin,
    sandbox,
    caPem,
    key,
    close: async () => {
      await sandbox.stop();
      await standin.close();
    },
  };
}

export const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'devstral-small-2', messages: [{ role: 'user', content: 'hello' }], ...extra });
