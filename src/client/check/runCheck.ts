/**
 * `slm-copilot check`: the post-deployment validation, in the order a developer would debug. Each step records
 * what the server answered and a pure evaluator turns it into a result. After a TLS failure nothing else is sent:
 * keys do not go to a server that is not verified.
 */

import { EXIT } from '../../core/lib/failure.ts';
import { type Result, skip, tally } from '../../core/lib/result.ts';
import { authHeader, basicHeader, bearerHeader, type Credentials } from '../net/credentials.ts';
import { HttpClient, type HttpResult } from '../net/http.ts';
import { probeTls } from '../net/tlsProbe.ts';
import { resolveTrust, type TrustOptions } from '../net/trust.ts';
import type { Target } from '../net/url.ts';
import type { Progress } from '../output/progress.ts';
import { cline3Request, cline4Request } from '../prompts/clinePrompts.ts';
import {
  evaluateBasic,
  evaluateBearer,
  evaluateCors,
  evaluateHealth,
  evaluateModels,
  evaluateRefusal,
  isWorkerRefusal,
} from './accessChecks.ts';
import { evaluateAdminRoutes, type RouteProbe } from './adminRoutesCheck.ts';
import { evaluateCline3, evaluateCline4 } from './clineChecks.ts';
import { evaluateCompletion } from './completionCheck.ts';
import { CLINE_MAX_TOKENS, CLINE_PROMPT_TOKENS, STREAM_MAX_TOKENS, WRONG_KEY } from './context.ts';
import { LOCALAI_ADMIN_ROUTES } from './localaiRoutes.ts';
import { evaluateStreaming } from './streamingCheck.ts';
import { evaluateTls } from './tlsCheck.ts';

export interface CheckInput {
  readonly target: Target;
  readonly trust: TrustOptions;
  readonly credentials: Credentials;
  readonly model: string;
  readonly origin: string;
  readonly timeoutMs: number;
  readonly now: Date;
}

export interface CheckHooks {
  /** Each result as soon as it is known. */
  readonly onResult?: (result: Result) => void;
  readonly progress?: Progress;
}

export interface CheckRun {
  readonly results: readonly Result[];
  /** Every check passed with TLS verified and credentials tried. */
  readonly verified: boolean;
  readonly exitCode: number;
}

/** The order of the checks, with their titles for skips. */
export const CHECKS = [
  ['tls', 'TLS certificate'],
  ['health', 'Health'],
  ['auth-none', 'No credentials refused'],
  ['auth-wrong-key', 'Wrong key refused'],
  ['auth-bearer', 'Bearer key accepted'],
  ['auth-basic', 'Basic auth accepted'],
  ['cors', 'CORS'],
  ['models', 'Model listed'],
  ['completion', 'Completion (not streamed)'],
  ['streaming', 'Streaming, token by token'],
  ['cline-4', 'Cline 4.x request (native tools)'],
  ['cline-3', 'Cline 3.x request (XML tools in text)'],
  ['admin-routes', "LocalAI's admin routes not exposed"],
] as const;

export function exitCodeOf(results: readonly Result[]): number {
  const counts = tally(results);
  if (counts.fail > 0) return EXIT.failed;
  return results.some((result) => result.incomplete === true) ? EXIT.notVerified : EXIT.ok;
}

const json = (auth: Record<string, string>) => ({ ...auth, 'Content-Type': 'application/json' });

async function probeRoutes(client: HttpClient, auth: Record<string, string> | null): Promise<RouteProbe[]> {
  const probes: RouteProbe[] = [];
  const queue = [...LOCALAI_ADMIN_ROUTES];
  const worker = async () => {
    for (let route = queue.shift(); route !== undefined; route = queue.shift()) {
      const result = await client.request({ path: route.path, headers: auth ?? {}, timeoutMs: 15_000 });
      probes.push({ route, result });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const order = new Map(LOCALAI_ADMIN_ROUTES.map((route, index) => [route.path, index]));
  return probes.sort((a, b) => (order.get(a.route.path) ?? 0) - (order.get(b.route.path) ?? 0));
}

export async function runCheck(input: CheckInput, hooks: CheckHooks = {}): Promise<CheckRun> {
  const results: Result[] = [];
  const emit = (result: Result) => {
    hooks.progress?.clear();
    results.push(result);
    hooks.onResult?.(result);
  };
  const step = <T>(text: string, work: () => Promise<T>): Promise<T> => {
    hooks.progress?.update(text);
    return work();
  };
  const { target, credentials } = input;

  const trust = await step('checking the certificate', () => resolveTrust(target, input.trust));
  const probe =
    target.secure && trust.ok ? await step('TLS handshake', () => probeTls(target, trust.trust)) : null;
  /** The checks after `done` are skipped for `reason`: the run stops there. */
  const stop = (done: number, reason: string): CheckRun => {
    for (const [id, title] of CHECKS.slice(done)) emit(skip(id, title, `not run: ${reason}`, false));
    hooks.progress?.clear();
    return { results, verified: false, exitCode: exitCodeOf(results) };
  };
  const tls = evaluateTls({ target, trust, probe, now: input.now });
  emit(tls);
  if (tls.status === 'fail' || !trust.ok)
    return stop(1, 'the TLS check failed, and nothing is sent to a server that is not verified');

  const client = new HttpClient(target, trust.trust);
  const get = (path: string, headers: Record<string, string> = {}) =>
    client.request({ path, headers, timeoutMs: 30_000 });
  try {
    const health = await step('GET /health', () => get('/health'));
    emit(evaluateHealth(health));
    // A OneFlow worker refuses everyone but its front: one failure, not one per check.
    if (isWorkerRefusal(health)) return stop(2, 'this VM is a OneFlow worker, which serves its front only');
    emit(
      evaluateRefusal(
        'auth-none',
        'No credentials refused',
        'no credentials',
        await step('GET /v1/models without credentials', () => get('/v1/models')),
      ),
    );
    emit(
      evaluateRefusal(
        'auth-wrong-key',
        'Wrong key refused',
        'a wrong key',
        await step('GET /v1/models with a wrong key', () => get('/v1/models', bearerHeader(WRONG_KEY))),
      ),
    );
    const bearer =
      credentials.key === null
        ? null
        : await step('GET /v1/models with the key', () =>
            get('/v1/models', { ...bearerHeader(credentials.key as string), Origin: input.origin }),
          );
    emit(evaluateBearer(credentials.key, bearer));
    const basic =
      credentials.basic === null
        ? null
        : await step('GET /v1/models with Basic auth', () =>
            get('/v1/models', {
              ...basicHeader(credentials.basic?.user ?? '', credentials.basic?.password ?? ''),
              Origin: input.origin,
            }),
          );
    emit(evaluateBasic(credentials.basic !== null, basic));
    const preflight = await step('OPTIONS /v1/chat/completions', () =>
      client.request({
        path: '/v1/chat/completions',
        method: 'OPTIONS',
        headers: {
          Origin: input.origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization,content-type',
        },
        timeoutMs: 30_000,
      }),
    );
    const auth = authHeader(credentials);
    const originCompletion =
      auth === null
        ? null
        : await step('a one-token completion with an Origin', () =>
            client.request({
              path: '/v1/chat/completions',
              method: 'POST',
              headers: { ...json(auth), Origin: input.origin },
              body: JSON.stringify({
                model: input.model,
                messages: [{ role: 'user', content: 'Reply with one word.' }],
                max_tokens: 1,
              }),
              timeoutMs: input.timeoutMs,
            }),
          );
    emit(
      evaluateCors(input.origin, preflight, [
        { what: 'GET /v1/models', result: bearer ?? basic },
        { what: 'POST /v1/chat/completions', result: originCompletion },
      ]),
    );
    emit(evaluateModels(input.model, bearer ?? basic));

    const post = (text: string, body: object): Promise<HttpResult | null> =>
      auth === null
        ? Promise.resolve(null)
        : step(text, () =>
            client.request({
              path: '/v1/chat/completions',
              method: 'POST',
              headers: { ...json(auth), 'Extra-Usage': '1' },
              body: JSON.stringify(body),
              timeoutMs: input.timeoutMs,
            }),
          );
    const model = input.model;
    emit(
      evaluateCompletion(
        await post('a short completion', {
          model,
          messages: [{ role: 'user', content: 'Reply with the single word: ready' }],
          max_tokens: 16,
          temperature: 0,
        }),
      ),
    );
    emit(
      evaluateStreaming(
        await post('a streamed completion', {
          model,
          messages: [{ role: 'user', content: 'Count from 1 to 30, separated by spaces, and nothing else.' }],
          max_tokens: STREAM_MAX_TOKENS,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        }),
      ),
    );
    emit(
      evaluateCline4(
        await post(
          `a Cline 4.x-shaped request (~${CLINE_PROMPT_TOKENS} tokens, native tools)`,
          cline4Request(model, CLINE_PROMPT_TOKENS, CLINE_MAX_TOKENS),
        ),
      ),
    );
    emit(
      evaluateCline3(
        await post(
          'a Cline 3.x-shaped request (XML tools)',
          cline3Request(model, CLINE_PROMPT_TOKENS, CLINE_MAX_TOKENS),
        ),
      ),
    );
    const probes = await step(`probing ${LOCALAI_ADMIN_ROUTES.length} LocalAI routes`, () =>
      probeRoutes(client, auth),
    );
    emit(evaluateAdminRoutes(probes, auth !== null));
  } finally {
    client.close();
    hooks.progress?.clear();
  }
  const exitCode = exitCodeOf(results);
  return { results, verified: exitCode === EXIT.ok, exitCode };
}
