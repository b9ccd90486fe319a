/**
 * The proof that the saved CA is enough: a fresh Node.js process whose only extra trust is
 * NODE_EXTRA_CA_CERTS=<saved file> (as VS Code's extension host gets it) fetches one URL with the global fetch
 * Cline uses. The key travels in the environment, not on the command line.
 */
import { run, whyFailed } from '../../system/process.ts';

export type NodeFetch =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly error: string };

const SCRIPT = `
const headers = process.env.SLM_CHECK_KEY ? { Authorization: 'Bearer ' + process.env.SLM_CHECK_KEY } : {};
try {
  const response = await fetch(process.env.SLM_CHECK_URL, { headers });
  const body = await response.text();
  console.log(JSON.stringify({ ok: true, status: response.status, body: body.slice(0, 8000) }));
} catch (error) {
  const cause = error && error.cause;
  console.log(JSON.stringify({ ok: false, error: String((cause && (cause.code || cause.message)) || (error && error.message) || error) }));
}
`;

export async function fetchTrustingOnly(caFile: string, url: string, key: string | null): Promise<NodeFetch> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: caFile, SLM_CHECK_URL: url };
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  delete env.NODE_OPTIONS;
  delete env.SLM_CHECK_KEY;
  if (key !== null) env.SLM_CHECK_KEY = key;
  const ran = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], { env, timeoutMs: 60_000 });
  const line = ran.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as NodeFetch;
  } catch {
    return {
      ok: false,
      error: line === '' && ran.status === 0 ? 'the check process printed nothing' : whyFailed(ran),
    };
  }
}
