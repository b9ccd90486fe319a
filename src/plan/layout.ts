/** Where things live on the appliance (see DESIGN.md "Where things live on the VM"). */
export const LAYOUT = {
  localaiBinary: '/usr/local/bin/local-ai',
  localaiHome: '/var/lib/local-ai',
  localaiModels: '/var/lib/local-ai/models',
  localaiBackends: '/var/lib/local-ai/backends',
  localaiConfigDir: '/var/lib/local-ai/configuration',
  localaiDataDir: '/var/lib/local-ai/data',
  localaiGenerated: '/var/lib/local-ai/generated',
  localaiUploads: '/var/lib/local-ai/uploads',
  localaiEnvFile: '/etc/slm-copilot/local-ai.env',
  localaiUnit: '/etc/systemd/system/local-ai.service',
  programDir: '/opt/slm-copilot',
  launcher: '/usr/local/bin/slm-copilot',
  configDir: '/etc/slm-copilot',
  stateDir: '/var/lib/slm-copilot',
  logDir: '/var/log/one-appliance',
  report: '/etc/one-appliance/config',
} as const;

export const LOCALAI_ADDRESS = { host: '127.0.0.1', port: 8080 } as const;

/** System users the services run as (created at install). */
export const USERS = { localai: 'local-ai' } as const;
