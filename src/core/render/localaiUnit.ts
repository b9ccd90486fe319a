/**
 * systemd unit for LocalAI. Hardened, but never with options that break backend spawning, the 14 GB mmap or
 * the JIT of the backend: no MemoryDenyWriteExecute, ProcSubset=pid, PrivateNetwork, NoExecPaths or a low MemoryMax.
 */
import { LAYOUT, USERS } from '../facts/layout.ts';
import { LOCALAI_WRITABLE_PATHS } from './localaiEnv.ts';
import { SHARED_HARDENING } from './unitHardening.ts';

export function renderLocalaiUnit(): string {
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
[Unit]
Description=LocalAI serving Devstral Small 2 for SLM-Copilot (127.0.0.1 only)
After=network.target
Documentation=https://localai.io

[Service]
Type=simple
User=${USERS.localai}
Group=${USERS.localai}
WorkingDirectory=${LAYOUT.localaiHome}
EnvironmentFile=${LAYOUT.localaiEnvFile}
ExecStart=${LAYOUT.localaiBinary} run
Restart=on-failure
RestartSec=5
TimeoutStartSec=300
TimeoutStopSec=60
ReadWritePaths=${LOCALAI_WRITABLE_PATHS.join(' ')}
${SHARED_HARDENING}

[Install]
WantedBy=multi-user.target
`;
}
