/** LocalAI's admin, UI and other routes must not answer through the gateway. Pure. */

import { fail, pass, type Result, skip } from '../../core/lib/result.ts';
import type { HttpResult } from '../net/http.ts';
import type { LocalaiRoute } from './localaiRoutes.ts';

export interface RouteProbe {
  readonly route: LocalaiRoute;
  readonly result: HttpResult;
}

/** Statuses that mean the gateway stopped the request itself. */
const BLOCKED = new Set([403, 404]);

export function evaluateAdminRoutes(probes: readonly RouteProbe[], authenticated: boolean): Result {
  const id = 'admin-routes';
  const title = "LocalAI's admin routes not exposed";
  const exposed: string[] = [];
  const unknown: string[] = [];
  for (const { route, result } of probes) {
    const label = `GET ${route.path}`;
    if (!result.ok) unknown.push(`${label} (${result.error})`);
    else if (BLOCKED.has(result.status)) continue;
    else if (result.status === 401 && !authenticated) unknown.push(`${label} → 401`);
    else exposed.push(`${label} → ${result.status}`);
  }
  const data = { probed: probes.length, exposed, unknown };
  if (exposed.length > 0) {
    const shown = exposed.slice(0, 5).join(', ');
    return fail(
      id,
      title,
      {
        reason: `${exposed.length} of ${probes.length} LocalAI routes answer through the gateway: ${shown}${exposed.length > 5 ? ', …' : ''}`,
        cause:
          "the proxy forwards paths beyond the inference API to LocalAI (a catch-all location / proxy_pass), so anyone with a key — or without one, for LocalAI's public routes — reaches its UI, model gallery, backends and settings",
        fix: "proxy only /v1/chat/completions, /v1/completions, /v1/models, /metrics and /health, and answer every other path 404 (the appliance's nginx site does; on the VM `slm-copilot configure` re-renders it)",
      },
      data,
    );
  }
  if (unknown.length > 0) {
    return {
      ...skip(
        id,
        title,
        `${unknown.length} of ${probes.length} routes could not be told apart (${unknown.slice(0, 3).join(', ')}); give --key to probe them authenticated`,
      ),
      data,
    };
  }
  return pass(
    id,
    title,
    `none of ${probes.length} LocalAI UI, admin and other-API routes answers (all 404)`,
    data,
  );
}
