/** Checks of what the gateway lets through: health, authentication both ways, CORS, the model list. Pure. */

import { LAYOUT } from '../../core/facts/layout.ts';
import { WORKER_REFUSAL } from '../../core/facts/oneflow.ts';
import { isRecord } from '../../core/lib/isRecord.ts';
import { fail, pass, type Result, skip } from '../../core/lib/result.ts';
import { type HttpResult, header, headerValues } from '../net/http.ts';
import { errorMessage, explainFailure, ON_THE_VM } from './serverErrors.ts';

type Answer = HttpResult | null;

function unreachable(
  id: string,
  title: string,
  what: string,
  result: Extract<HttpResult, { ok: false }>,
): Result {
  return fail(id, title, {
    reason: `${what} failed: ${result.error}`,
    ...explainFailure(null, result.error),
  });
}

function jsonField(body: string, field: string): unknown {
  try {
    return (JSON.parse(body) as Record<string, unknown>)[field];
  } catch {
    return undefined;
  }
}

/** The answer of a OneFlow worker's nginx to anyone but its front: nothing else there serves a client. */
export function isWorkerRefusal(result: HttpResult): boolean {
  if (!result.ok || result.status !== 403) return false;
  const error = jsonField(result.body, 'error');
  return isRecord(error) && error.code === WORKER_REFUSAL.code;
}

export function evaluateHealth(result: HttpResult): Result {
  const id = 'health';
  const title = 'Health';
  if (!result.ok) return unreachable(id, title, 'GET /health', result);
  if (isWorkerRefusal(result)) {
    return fail(id, title, {
      reason: 'this VM is a OneFlow worker; connect to the front',
      cause:
        "a worker serves only its service's front (ONEAPP_COPILOT_SERVICE_ROLE=worker): clients, keys and TLS for them are the front's",
      fix: "use the front's address: oneflow show <service id> lists the front VM; its report (/etc/one-appliance/config) has the endpoint",
    });
  }
  const state = jsonField(result.body, 'status');
  if (result.status === 200 && state === 'ready') return pass(id, title, 'the model is loaded and ready');
  if (state === 'loading') {
    return fail(id, title, {
      reason: 'the model is still loading (GET /health: loading)',
      cause: 'LocalAI reads the 14 GB model after every start; the first load after boot takes minutes',
      fix: `wait and re-run; if it stays so for more than 15 minutes, ${ON_THE_VM}`,
    });
  }
  if (state === 'down' && jsonField(result.body, 'workers') === 0) {
    return fail(id, title, {
      reason: 'this OneFlow front has no worker ready (GET /health: down, 0 workers)',
      cause:
        'no worker VM of the service is RUNNING with READY=YES: still loading the model, failed, or none',
      fix: 'wait for the workers to load the model; on the front, slm-copilot doctor shows the workers it knows',
    });
  }
  if (state === 'down') {
    return fail(id, title, {
      reason: 'the model server is down (GET /health: down)',
      cause:
        'LocalAI is not running or not answering on 127.0.0.1:8080 (crashed, out of memory, still starting)',
      fix: `${ON_THE_VM}; systemctl status local-ai shows its last error`,
    });
  }
  if (result.status === 404) {
    return fail(id, title, {
      reason: 'GET /health answered 404',
      cause: 'this is not an SLM-Copilot gateway (or something in front of it answers)',
      fix: "check the URL: the report's endpoint",
    });
  }
  return fail(id, title, {
    reason: `GET /health answered ${result.status}: ${errorMessage(result.body)}`,
    ...explainFailure(result.status, result.body),
  });
}

/** A request that must be refused: no credentials, or a wrong key. */
export function evaluateRefusal(id: string, title: string, what: string, result: HttpResult): Result {
  if (!result.ok) return unreachable(id, title, `GET /v1/models with ${what}`, result);
  if (result.status === 401) {
    const challenge = header(result.headers, 'www-authenticate');
    return pass(id, title, `refused with 401${challenge === '' ? '' : ` (${challenge.split(',')[0]})`}`);
  }
  if (result.status >= 200 && result.status < 300) {
    return fail(id, title, {
      reason: `a request with ${what} was answered ${result.status}: anyone who reaches this address can use the model`,
      cause:
        "authentication is not enforced: the gateway's key check is missing, something in front of it adds credentials, or LocalAI's port is exposed directly",
      fix: "serve the API only through the appliance's nginx, which checks every key (on the VM: slm-copilot configure re-renders it); never open port 8080",
    });
  }
  return fail(id, title, {
    reason: `a request with ${what} was answered ${result.status}, not 401`,
    cause: 'something other than the appliance gateway answers, or it is misconfigured',
    fix: `OpenAI clients expect 401 for a bad key; ${ON_THE_VM}`,
  });
}

export function evaluateBearer(key: string | null, result: Answer): Result {
  const id = 'auth-bearer';
  const title = 'Bearer key accepted';
  if (key === null || result === null) {
    return skip(
      id,
      title,
      'no key given (--key or SLM_COPILOT_API_KEY): Cline sends one, so this must be checked',
    );
  }
  if (!result.ok) return unreachable(id, title, 'GET /v1/models with the key', result);
  if (result.status === 200) return pass(id, title, 'GET /v1/models with Authorization: Bearer answered 200');
  if (result.status === 401) {
    return fail(id, title, {
      reason: 'the key was refused (401)',
      cause:
        "it is not one of ONEAPP_COPILOT_AUTH_KEYS on this VM: a typo, a revoked key, or another VM's key",
      fix: `copy api_key from the report's [Cline] section (${LAYOUT.report} on the VM)`,
    });
  }
  return fail(id, title, {
    reason: `GET /v1/models with the key answered ${result.status}: ${errorMessage(result.body)}`,
    ...explainFailure(result.status, result.body),
  });
}

export function evaluateBasic(given: boolean, result: Answer): Result {
  const id = 'auth-basic';
  const title = 'Basic auth accepted';
  if (!given || result === null) return skip(id, title, 'not asked for (--user and --password)', false);
  if (!result.ok) return unreachable(id, title, 'GET /v1/models with Basic auth', result);
  if (result.status === 200) return pass(id, title, 'GET /v1/models with Basic auth answered 200');
  if (result.status === 401) {
    return fail(id, title, {
      reason: 'the user name or password was refused (401)',
      cause: 'they differ from ONEAPP_COPILOT_AUTH_USER / the generated password',
      fix: "copy user and password from the report's [Basic auth] section",
    });
  }
  return fail(id, title, {
    reason: `GET /v1/models with Basic auth answered ${result.status}: ${errorMessage(result.body)}`,
    ...explainFailure(result.status, result.body),
  });
}

const listIncludes = (value: string, wanted: string) =>
  value === '*' || value.split(',').some((item) => item.trim().toLowerCase() === wanted.toLowerCase());

/** A real request sent with an Origin, as a browser would: what it was, and what came back. */
export interface CorsAnswer {
  readonly what: string;
  readonly result: Answer;
}

const CORS_CAUSE =
  "the proxy does not answer CORS preflights itself or strips the CORS headers (LocalAI's own CORS runs after its key check, so a preflight without a key fails), or the origin is not in ONEAPP_COPILOT_API_CORS_ORIGINS";
const CORS_FIX =
  "answer OPTIONS before auth and add the Access-Control-Allow-* headers at the edge (the appliance's nginx does, from ONEAPP_COPILOT_API_CORS_ORIGINS); with a restricted origin list re-run with --origin set to one of them";
const DUPLICATE_CAUSE =
  "both the proxy and the model server behind it add CORS headers (LocalAI and llama.cpp's server send their own), so the answer carries two values";
const DUPLICATE_FIX =
  "make the edge the only source of CORS headers: drop the upstream's (nginx: proxy_hide_header Access-Control-Allow-Origin and the other Access-Control-* headers) before adding its own, as the appliance's nginx does";

/**
 * CORS: the preflight (OPTIONS, no credentials) must be answered 2xx with the origin, POST and the headers an
 * OpenAI client sends allowed; each real answer to a request with that Origin must carry exactly one
 * Access-Control-Allow-Origin that allows it (browsers refuse a header with two values).
 */
export function evaluateCors(origin: string, preflight: HttpResult, answers: readonly CorsAnswer[]): Result {
  const id = 'cors';
  const title = 'CORS';
  if (!preflight.ok) return unreachable(id, title, 'OPTIONS /v1/chat/completions', preflight);
  const allowOrigin = header(preflight.headers, 'access-control-allow-origin');
  const methods = header(preflight.headers, 'access-control-allow-methods');
  const headers = header(preflight.headers, 'access-control-allow-headers');
  const problems: string[] = [];
  const duplicates: string[] = [];
  if (preflight.status < 200 || preflight.status > 299)
    problems.push(`the preflight was answered ${preflight.status}`);
  if (allowOrigin === '') problems.push('it has no Access-Control-Allow-Origin');
  else if (allowOrigin !== '*' && allowOrigin !== origin)
    problems.push(`it allows the origin ${allowOrigin}, not ${origin}`);
  if (!listIncludes(methods, 'POST')) problems.push('POST is not among Access-Control-Allow-Methods');
  for (const name of ['authorization', 'content-type']) {
    if (!listIncludes(headers, name)) problems.push(`${name} is not among Access-Control-Allow-Headers`);
  }
  const answered: string[] = [];
  for (const { what, result } of answers) {
    if (result === null || !result.ok) continue;
    answered.push(what);
    const values = headerValues(result.rawHeaders, 'access-control-allow-origin');
    const [value] = values;
    if (value === undefined) problems.push(`the answer to ${what} has no Access-Control-Allow-Origin`);
    else if (values.length > 1)
      duplicates.push(
        `the answer to ${what} carries Access-Control-Allow-Origin ${values.length} times (${values.join(' and ')}), which browsers refuse`,
      );
    else if (value !== '*' && value !== origin)
      problems.push(`the answer to ${what} allows the origin ${value}, not ${origin}`);
  }
  const data = {
    origin,
    allowOrigin,
    allowMethods: methods,
    allowHeaders: headers,
    status: preflight.status,
    answers: answered,
  };
  if (problems.length === 0 && duplicates.length === 0) {
    const real =
      answered.length === 0 ? '' : `; one Access-Control-Allow-Origin on ${answered.join(' and ')}`;
    return pass(
      id,
      title,
      `OPTIONS answered ${preflight.status} allowing ${allowOrigin}, POST, Authorization${real}`,
      data,
    );
  }
  const onlyDuplicates = problems.length === 0;
  return fail(
    id,
    title,
    {
      reason: `browsers at ${origin} cannot call the API: ${[...duplicates, ...problems].join('; ')}`,
      cause: onlyDuplicates
        ? DUPLICATE_CAUSE
        : duplicates.length > 0
          ? `${DUPLICATE_CAUSE}; or ${CORS_CAUSE}`
          : CORS_CAUSE,
      fix: onlyDuplicates
        ? DUPLICATE_FIX
        : duplicates.length > 0
          ? `${DUPLICATE_FIX}; and ${CORS_FIX}`
          : CORS_FIX,
    },
    data,
  );
}

export function modelIds(body: string): string[] | null {
  const data = jsonField(body, 'data');
  if (!Array.isArray(data)) return null;
  return data
    .map((entry) =>
      typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined,
    )
    .filter((value): value is string => typeof value === 'string');
}

export function evaluateModels(model: string, result: Answer): Result {
  const id = 'models';
  const title = 'Model listed';
  if (result === null) return skip(id, title, 'no credentials given (--key, or --user and --password)');
  if (!result.ok) return unreachable(id, title, 'GET /v1/models', result);
  if (result.status !== 200) {
    return fail(id, title, {
      reason: `GET /v1/models answered ${result.status}: ${errorMessage(result.body)}`,
      ...explainFailure(result.status, result.body),
    });
  }
  const ids = modelIds(result.body);
  if (ids === null) {
    return fail(id, title, {
      reason: 'GET /v1/models did not answer an OpenAI model list ({"data":[…]})',
      cause: 'something other than LocalAI answers behind the gateway',
      fix: ON_THE_VM,
    });
  }
  if (ids.includes(model)) return pass(id, title, `lists ${model}`, { models: ids });
  return fail(
    id,
    title,
    {
      reason: `GET /v1/models does not list ${model} (it lists: ${ids.join(', ') || 'nothing'})`,
      cause: "LocalAI did not find the model's configuration, or it serves the model under another id",
      fix: `use a listed id as Cline's Model ID (and --model here); otherwise ${ON_THE_VM}`,
    },
    { models: ids },
  );
}
