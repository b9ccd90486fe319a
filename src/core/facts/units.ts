/** The systemd units the appliance manages, and where their unit files live. */
import type { CopilotRole } from './oneflow.ts';

export const UNITS = {
  localai: 'local-ai.service',
  relay: 'slm-copilot-relay.service',
  /** A OneFlow front's router, in the relay's place behind nginx (its own unit: no model, no queue of its own). */
  router: 'slm-copilot-router.service',
  nginx: 'nginx.service',
  renewService: 'slm-copilot-renew.service',
  renewTimer: 'slm-copilot-renew.timer',
} as const;

export type ApplianceUnit = (typeof UNITS)[keyof typeof UNITS];

/**
 * The units bootstrap enables and starts for each role, in this order (doctor reads the same ones). A front runs no
 * model: LocalAI and the relay are left off so a small VM serves; a worker's router is the front's.
 */
export const ROLE_UNITS = {
  standalone: [UNITS.localai, UNITS.relay, UNITS.nginx, UNITS.renewTimer],
  front: [UNITS.router, UNITS.nginx, UNITS.renewTimer],
  worker: [UNITS.localai, UNITS.relay, UNITS.nginx, UNITS.renewTimer],
} as const satisfies Record<CopilotRole, readonly ApplianceUnit[]>;

/** The serving units a role does not run: configure stops and disables them when they run (a role change). */
export const UNUSED_UNITS: Record<CopilotRole, readonly ApplianceUnit[]> = {
  standalone: [],
  front: [UNITS.localai, UNITS.relay],
  worker: [UNITS.router],
};

export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';

/** The unit file the appliance writes for one of its units. */
export const unitPath = (unit: ApplianceUnit): string => `${SYSTEMD_UNIT_DIR}/${unit}`;
