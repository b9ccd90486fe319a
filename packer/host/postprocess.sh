#!/usr/bin/env bash
# Packer post-processor (shell-local) on the build VM's disk, offline: virt-sysprep resets what makes a VM unique
# (machine-id, SSH host keys, logs, DHCP leases, …), disables root's password (no known password in the image),
# removes the build user with its key and its sudo rule; virt-sparsify then drops the blocks the build freed.
# Environment: IMAGE (the disk Packer wrote). Both tools hang now and then: each runs under a timeout.
set -euo pipefail

: "${IMAGE:?IMAGE must name the build disk}"
[ -f "$IMAGE" ] || { echo "postprocess.sh: no disk at $IMAGE" >&2; exit 1; }

echo "==> virt-sysprep $IMAGE"
timeout 15m virt-sysprep \
    --add "$IMAGE" \
    --format qcow2 \
    --operations defaults,user-account \
    --remove-user-accounts slm-build \
    --root-password disabled \
    --hostname localhost.localdomain \
    --delete /etc/sudoers.d/90-cloud-init-users \
    --delete /etc/sudoers.d/slm-build \
    --run-command 'truncate -s 0 /etc/machine-id' \
    --run-command 'rm -f /etc/ssh/ssh_host_*'

echo "==> virt-sparsify --in-place $IMAGE"
timeout -s KILL 30m virt-sparsify --in-place "$IMAGE"
