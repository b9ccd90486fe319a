/**
 * What a OneFlow role adds to doctor. A worker: its site admits only the front, its OneGate token is there, its relay
 * published READY=YES. A front: the workers its router knows, and enough API keys to spread users over them. Pure.
 */
import { LAYOUT, RELAY_ADDRESS } from '../../core/facts/layout.ts';
import { SERVICE_FILES } from '../../core/facts/oneflow.ts';
import { UNITS } from '../../core/facts/units.ts';
import { fail, pass, type Result, skip, warn } from '../../core/lib/result.ts';
import { type RelayHealth, workersOf } from '../host/relayHealth.ts';
import { READY_LOG } from '../relay/workerPublisher.ts';

const RECONFIGURE = 'run slm-copilot configure (it writes the worker site from ONEAPP_COPILOT_SERVICE_FRONT)';

/** The worker site admits the front's address only, and is no client site (keys, Basic auth). */
export function workerSiteFinding(site: string | null, front: string | null): Result {
  const id = 'worker-site';
  const title = "Worker's nginx site";
  if (site === null) {
    return fail(id, title, {
      reason: `the nginx site ${LAYOUT.nginxSite} is missing`,
      cause: 'configure has not written it',
      fix: RECONFIGURE,
    });
  }
  if (/^\s*auth_basic\b/m.test(site)) {
    return fail(id, title, {
      reason: 'nginx serves the client site (API keys, Basic auth) on a OneFlow worker',
      cause: 'the VM was configured before ONEAPP_COPILOT_SERVICE_ROLE=worker was set',
      fix: RECONFIGURE,
    });
  }
  const allowed = [...site.matchAll(/^\s*allow\s+([^\s;]+);/gm)]
    .map((match) => match[1] as string)
    .filter((address) => address !== 'all');
  if (front !== null && allowed.length === 1 && allowed[0] === front)
    return pass(id, title, `admits only the front at ${front} (ONEAPP_COPILOT_SERVICE_FRONT)`);
  return fail(id, title, {
    reason: `the site admits ${allowed.length === 0 ? 'no address' : allowed.join(', ')}, not only the front at ${front ?? '(none)'} (ONEAPP_COPILOT_SERVICE_FRONT)`,
    cause: 'the site was edited, or written for another front',
    fix: RECONFIGURE,
  });
}

export function oneGateTokenFinding(present: boolean): Result {
  const id = 'onegate-token';
  const title = 'OneGate token';
  if (present) return pass(id, title, `${SERVICE_FILES.oneGateToken} is in place`);
  return fail(id, title, {
    reason: `the OneGate token ${SERVICE_FILES.oneGateToken} is missing`,
    cause: 'configure has not run for this role, or the VM has no OneGate token (TOKEN=YES in its context)',
    fix: "set TOKEN=YES in the VM template's CONTEXT, then run slm-copilot configure",
  });
}

/** Whether the relay published READY=YES (OneFlow and the front wait for it), from the relay's journal. */
export function readyPublishedFinding(relayJournal: string | null): Result {
  const id = 'onegate-ready';
  const title = 'READY=YES in OneGate';
  if (relayJournal === null) return skip(id, title, "the relay's journal could not be read", false);
  if (relayJournal.includes(READY_LOG.published))
    return pass(id, title, 'the relay published READY=YES: the front routes to this worker');
  const refused = relayJournal
    .split('\n')
    .filter((line) => line.includes(READY_LOG.refused))
    .at(-1);
  if (refused !== undefined) {
    return fail(id, title, {
      reason: refused.trim(),
      cause: 'OneGate refused the update or could not be reached; the front does not route to this worker',
      fix: `check that ONEGATE_ENDPOINT answers from this VM (curl -s "$ONEGATE_ENDPOINT"); the relay retries every 10 s; journalctl -u ${UNITS.relay} -b`,
    });
  }
  return warn(id, title, {
    reason: 'READY=YES is not published yet',
    cause: 'the relay publishes it once the model is first ready',
    fix: `wait for the model to load (see Relay readiness); journalctl -u ${UNITS.relay} -b`,
  });
}

export function routerFinding(health: RelayHealth | null): Result {
  const id = 'router';
  const title = "Router's workers";
  if (health === null) return skip(id, title, "the router's /health was not observed", false);
  const where = `${RELAY_ADDRESS.host}:${RELAY_ADDRESS.port}`;
  if ('error' in health) {
    return fail(id, title, {
      reason: `the router does not answer on ${where} (${health.error})`,
      cause: `${UNITS.router} is stopped or failing`,
      fix: `systemctl status ${UNITS.router}; journalctl -u ${UNITS.router} -b`,
    });
  }
  const workers = workersOf(health);
  if (workers === null) {
    return fail(id, title, {
      reason: `${where}/health answered HTTP ${health.status} without a worker count`,
      cause: `something other than ${UNITS.router} listens there`,
      fix: `ss -ltnp shows who listens; run slm-copilot configure, then systemctl restart ${UNITS.router}`,
    });
  }
  if (workers === 0) {
    return fail(id, title, {
      reason: 'the router knows no worker: every request is answered 503',
      cause:
        'no worker VM of the service is RUNNING with READY=YES in OneGate (still loading the model, failed, or the role has none)',
      fix: 'oneflow show <service id> lists the workers; on a worker, slm-copilot doctor says why it is not READY',
    });
  }
  return pass(id, title, `routes to ${workers} worker(s)`);
}

/** More workers than API keys: a key stays on one worker, so the users sharing it queue there. */
export function keysPerWorkerFinding(apiKeys: string | null, workers: number | null): Result {
  const id = 'keys-per-worker';
  const title = 'API keys for the workers';
  if (apiKeys === null) return skip(id, title, `${LAYOUT.nginxApiKeys} could not be read`, false);
  const keys = apiKeys.split('\n').filter((line) => line.trim() !== '').length;
  if (workers === null || workers <= 1 || keys >= workers)
    return pass(id, title, `${keys} API key(s) for ${workers ?? 'an unknown number of'} worker(s)`);
  return warn(id, title, {
    reason: `${keys} API key(s) for ${workers} workers`,
    cause:
      'one shared key pins everyone to one worker: the front keeps each key on the worker holding its prompt cache',
    fix: 'give each user a key in ONEAPP_COPILOT_AUTH_KEYS (name:key, comma-separated), then run slm-copilot configure',
  });
}
