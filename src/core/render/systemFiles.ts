/** Small system files the appliance owns: the renewal timer, log rotation and the login banner. */
import { LAYOUT } from '../facts/layout.ts';
import { UNITS, unitPath } from '../facts/units.ts';

export const RENEW_SERVICE_PATH = unitPath(UNITS.renewService);
export const RENEW_TIMER_PATH = unitPath(UNITS.renewTimer);
export const LOGROTATE_PATH = '/etc/logrotate.d/slm-copilot';
export const BANNER_PATH = '/etc/profile.d/slm-copilot-banner.sh';
/** certbot runs every executable here after a renewal (certbot.timer): the appliance installs it, reloads nginx. */
export const CERTBOT_DEPLOY_HOOK_PATH = '/etc/letsencrypt/renewal-hooks/deploy/slm-copilot';

export function renderCertbotDeployHook(): string {
  return `#!/bin/sh
# Written by slm-copilot: hand a renewed Let's Encrypt certificate to nginx.
exec ${LAYOUT.launcher} renew
`;
}

export function renderRenewService(): string {
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
[Unit]
Description=SLM-Copilot: renew the appliance certificate before it expires, retry Let's Encrypt
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=${LAYOUT.launcher} renew
`;
}

export function renderRenewTimer(): string {
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
[Unit]
Description=Daily SLM-Copilot certificate check

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`;
}

export function renderLogrotate(): string {
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
${LAYOUT.logDir}/*.log {
    weekly
    rotate 8
    compress
    delaycompress
    missingok
    notifempty
    copytruncate
}
`;
}

/** Shown at login: where to connect, whether the services run, where the report is. Never a secret. */
export function renderBanner(baseUrl: string): string {
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
# shellcheck shell=sh
case $- in *i*) ;; *) return 0 2>/dev/null || exit 0 ;; esac
printf '\\n  SLM-Copilot  %s\\n' '${baseUrl}'
for unit in local-ai slm-copilot-relay nginx; do
  printf '  %-18s %s\\n' "$unit" "$(systemctl is-active "$unit" 2>/dev/null)"
done
printf '  model status       %s\\n' "$(curl -s --max-time 2 http://127.0.0.1:8081/health 2>/dev/null || echo unknown)"
printf '  connection details: sudo cat ${LAYOUT.report}  (or: sudo slm-copilot doctor)\\n\\n'
`;
}
