/**
 * The systemd sandboxing both services share: no privilege gain, a read-only system, private /tmp and /dev, no
 * kernel or clock changes, loopback-only networking. What differs (writable paths, syscall filter) stays per unit.
 * Never MemoryDenyWriteExecute (V8's and llama.cpp's JITs), ProcSubset=pid, PrivateNetwork or NoExecPaths.
 */
export const SHARED_HARDENING = `LimitNOFILE=65536
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
PrivateDevices=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
RestrictSUIDSGID=true
RestrictRealtime=true
RestrictNamespaces=true
LockPersonality=true
SystemCallArchitectures=native
CapabilityBoundingSet=
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
IPAddressDeny=any
IPAddressAllow=localhost`;

/** After SHARED_HARDENING, for a service that talks to OneGate (and, on a front, to the workers) over the network. */
export const NETWORK_ALLOWED = `# Reaches OneGate (and, on a OneFlow front, the workers) over the network.
IPAddressAllow=any`;

/** The tail of the Node services' units (relay, router): no other processes visible, system calls, no capabilities. */
export const NODE_SERVICE_HARDENING = `ProtectProc=invisible
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
AmbientCapabilities=
UMask=0077`;
