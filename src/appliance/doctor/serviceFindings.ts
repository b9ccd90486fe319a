/** Each service's state and last error, the ports that must listen, the relay's readiness. Pure. */
import { LOCALAI_ADDRESS, RELAY_ADDRESS } from '../../core/facts/layout.ts';
import type { CopilotRole } from '../../core/facts/oneflow.ts';
import { UNITS } from '../../core/facts/units.ts';
import type { Problem } from '../../core/lib/failure.ts';
import { fail, pass, type Result, skip, warn } from '../../core/lib/result.ts';
import type { UnitObservation } from '../host/port.ts';
import { type RelayHealth, readinessOf } from '../host/relayHealth.ts';
import { PASSTHROUGH_FIX } from './hardwareFindings.ts';
import { isLoopback, isWildcard, type ListenSocket } from './procNet.ts';
import { lastError, parseSystemctlShow } from './systemdShow.ts';

/** What a unit's last error line most likely means. */
export function causeOf(unit: string, error: string | null): Omit<Problem, 'reason'> {
  const text = error ?? '';
  const read = `journalctl -u ${unit} -b shows the whole log`;
  if (/illegal instruction|sigill|status=4\/ILL/i.test(text)) {
    return {
      cause: 'an illegal instruction: the CPU model hides features the program was built for (AVX2)',
      fix: PASSTHROUGH_FIX,
    };
  }
  if (/out of memory|oom|status=9\/KILL|killed/i.test(text)) {
    return {
      cause: 'killed for lack of memory: the model, KV cache and prompt cache do not fit the RAM',
      fix: `give the VM more MEMORY or a smaller ONEAPP_COPILOT_MODEL_CONTEXT, then systemctl restart ${unit}; ${read}`,
    };
  }
  if (/address already in use|bind/i.test(text)) {
    return {
      cause: 'its port is taken by another program',
      fix: `find it with ss -ltnp and stop it, then systemctl restart ${unit}`,
    };
  }
  if (/backend not found|no such file|not found/i.test(text)) {
    return {
      cause: 'a file it needs is missing (binary, backend or model): the image is incomplete',
      fix: `instantiate the appliance from the marketplace image again; ${read}`,
    };
  }
  if (/permission denied/i.test(text)) {
    return {
      cause: 'a file or directory has the wrong owner or mode',
      fix: `run slm-copilot configure (it sets them), then systemctl restart ${unit}`,
    };
  }
  if (/emerg|nginx: \[/i.test(text)) {
    return {
      cause: 'nginx rejected its configuration',
      fix: 'run nginx -t, then slm-copilot configure to write it again',
    };
  }
  return { cause: 'see its log', fix: `${read}; then systemctl restart ${unit}` };
}

export function unitFinding(unit: string, observed: UnitObservation): Result {
  const id = unit.replace(/\.service$/, '');
  const title = unit;
  if (observed.show === null) return skip(id, title, `systemctl show ${unit} could not be read`, false);
  const props = parseSystemctlShow(observed.show);
  const state = props.get('ActiveState') ?? 'unknown';
  const sub = props.get('SubState') ?? '';
  const error = lastError(observed.journal);
  const restarts = Number(props.get('NRestarts') ?? '0');
  if (props.get('LoadState') === 'not-found') {
    return fail(id, title, {
      reason: `${unit} is not installed`,
      cause: 'the image is incomplete or the unit was removed',
      fix: 'run slm-copilot configure (it writes the units); otherwise re-instantiate the image',
    });
  }
  if (state === 'active') {
    if (restarts >= 3) {
      return warn(id, title, {
        reason: `active (${sub}), but restarted ${restarts} times this boot${error === null ? '' : `; last error: ${error}`}`,
        ...causeOf(unit, error),
      });
    }
    return pass(id, title, `active (${sub})`);
  }
  if (state === 'activating' || state === 'reloading') {
    return warn(id, title, {
      reason: `${state} (${sub})`,
      cause: 'it is starting',
      fix: `wait a minute and run doctor again; systemctl status ${unit}`,
    });
  }
  const result = props.get('Result');
  return fail(id, title, {
    reason: `${state}${sub ? ` (${sub})` : ''}${result && result !== 'success' ? `, result ${result}` : ''}${error === null ? '' : `; last error: ${error}`}`,
    ...causeOf(unit, error),
  });
}

interface PortRule {
  readonly port: number;
  readonly what: string;
  readonly loopbackOnly: boolean;
  readonly unit: string;
}

const HTTPS_PORT: PortRule = { port: 443, what: 'nginx, HTTPS', loopbackOnly: false, unit: UNITS.nginx };

const MODEL_PORTS: readonly PortRule[] = [
  HTTPS_PORT,
  { port: RELAY_ADDRESS.port, what: 'the relay', loopbackOnly: true, unit: UNITS.relay },
  { port: LOCALAI_ADDRESS.port, what: 'LocalAI', loopbackOnly: true, unit: UNITS.localai },
];

/** A front runs no model: its router listens where the relay would. */
const PORTS: Readonly<Record<CopilotRole, readonly PortRule[]>> = {
  standalone: MODEL_PORTS,
  front: [
    HTTPS_PORT,
    { port: RELAY_ADDRESS.port, what: 'the router', loopbackOnly: true, unit: UNITS.router },
  ],
  worker: MODEL_PORTS,
};

/** Port 80 is nginx's only with a domain (ACME HTTP-01 and the redirect); without one nothing should listen there. */
const HTTP_PORT: PortRule = {
  port: 80,
  what: "nginx, HTTP for Let's Encrypt and the redirect",
  loopbackOnly: false,
  unit: UNITS.nginx,
};

/** Every port the role needs listening, and whether port 80 does as `domain` (ONEAPP_COPILOT_TLS_DOMAIN) asks. */
export function portFindings(
  sockets: readonly ListenSocket[] | null,
  domain: string | null,
  role: CopilotRole,
): Result[] {
  if (sockets === null) return [skip('ports', 'Ports listening', '/proc/net/tcp could not be read', false)];
  const [https, ...rest] = PORTS[role].map((rule) => requiredPort(rule, sockets));
  return [https as Result, httpPortFinding(sockets, domain), ...rest];
}

/** With a domain port 80 must listen; without one it should be closed. */
function httpPortFinding(sockets: readonly ListenSocket[], domain: string | null): Result {
  if (domain !== null) return requiredPort(HTTP_PORT, sockets);
  const http = sockets.filter((socket) => socket.port === HTTP_PORT.port);
  if (http.length === 0)
    return pass('port:80', 'Port 80', 'closed: no domain is set, so the API is HTTPS only');
  return warn('port:80', 'Port 80', {
    reason: `something listens on port 80 (${[...new Set(http.map((s) => s.address))].join(', ')}) although no domain is set`,
    cause: 'a configuration from before ONEAPP_COPILOT_TLS_DOMAIN was emptied, or another service',
    fix: 'run slm-copilot configure (nginx then serves port 80 only with a domain); ss -ltnp shows who listens',
  });
}

function requiredPort(rule: PortRule, sockets: readonly ListenSocket[]): Result {
  const id = `port:${rule.port}`;
  const title = `Port ${rule.port}`;
  const mine = sockets.filter((socket) => socket.port === rule.port);
  const where = [...new Set(mine.map((socket) => socket.address))].join(', ');
  if (mine.length === 0) {
    return fail(id, title, {
      reason: `nothing listens on port ${rule.port} (${rule.what})`,
      cause: `${rule.unit} is not running or failed to bind`,
      fix: `systemctl status ${rule.unit}`,
    });
  }
  if (rule.loopbackOnly && mine.some((socket) => !isLoopback(socket.address))) {
    return fail(id, title, {
      reason: `${rule.what} listens on ${where}, not only on loopback`,
      cause:
        'its address was changed from 127.0.0.1: clients could bypass nginx (TLS, keys, the route allow-list)',
      fix: 'run slm-copilot configure to restore the rendered configuration (127.0.0.1 only), then restart the service',
    });
  }
  const scope = mine.some((socket) => isWildcard(socket.address)) ? 'all addresses' : where;
  return pass(id, title, `${rule.what}: listening on ${scope}`);
}

export function relayFinding(health: RelayHealth | null): Result {
  const id = 'relay';
  const title = 'Relay readiness';
  if (health === null) return skip(id, title, "the relay's /health was not observed", false);
  if ('error' in health) {
    return fail(id, title, {
      reason: `the relay does not answer on ${RELAY_ADDRESS.host}:${RELAY_ADDRESS.port} (${health.error})`,
      cause: 'slm-copilot-relay.service is stopped or failing',
      fix: 'systemctl status slm-copilot-relay; journalctl -u slm-copilot-relay -b',
    });
  }
  const state = readinessOf(health);
  if (state === 'ready') return pass(id, title, 'the model is loaded and answers (relay: ready)');
  if (state === 'loading') {
    return warn(id, title, {
      reason: 'the model is loading (relay: loading)',
      cause: 'LocalAI reads the 14 GB model after each start; the first load after boot takes minutes',
      fix: 'wait; if it stays loading for more than 15 minutes, read journalctl -u local-ai -b',
    });
  }
  return fail(id, title, {
    reason: `the relay cannot reach LocalAI (relay: ${state}, HTTP ${health.status})`,
    cause: 'local-ai.service is stopped, crashed or still starting',
    fix: 'systemctl status local-ai; journalctl -u local-ai -b',
  });
}
