/** The systemd units the appliance manages, and where their unit files live. */
export const UNITS = {
  localai: 'local-ai.service',
  relay: 'slm-copilot-relay.service',
  nginx: 'nginx.service',
  renewService: 'slm-copilot-renew.service',
  renewTimer: 'slm-copilot-renew.timer',
} as const;

/** The units bootstrap enables and starts, in this order (doctor reads the same ones). */
export const STARTED_UNITS = [UNITS.localai, UNITS.relay, UNITS.nginx, UNITS.renewTimer] as const;

export type ApplianceUnit = (typeof UNITS)[keyof typeof UNITS];

export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';

/** The unit file the appliance writes for one of its units. */
export const unitPath = (unit: ApplianceUnit): string => `${SYSTEMD_UNIT_DIR}/${unit}`;
