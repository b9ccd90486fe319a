#!/usr/bin/env bash
# OpenNebula's context package (pinned in the lock, staged by 20-artifacts.sh), installed as one-apps does for its
# Ubuntu images, then systemd-sysusers: with service starts blocked, the users packages declare (systemd-network,
# sshd, …) may be missing, and systemd-networkd then fails with 217/USER on the first boot: no network at all.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

deb=$(artifact_path one-context)
step "installing $(basename "$deb")"
# dpkg first; its missing dependencies come from apt; then dpkg again so the package ends configured.
dpkg -i --auto-deconfigure "$deb" || apt-get -y --fix-broken install
dpkg -i --auto-deconfigure "$deb"
dpkg-query -W -f '${Status} ${Version}\n' one-context | grep -q '^install ok installed' ||
    die 'one-context is not installed after dpkg'

# one-context >= 6.1 configures the network through netplan (or NetworkManager when NETCFG_TYPE=nm asks for it).
apt-get -y install --no-install-recommends --no-install-suggests netplan.io network-manager

step 'systemd-sysusers (system users the packages declared)'
systemd-sysusers
for user in systemd-network systemd-resolve; do
    getent passwd "$user" >/dev/null || die "system user $user is missing after systemd-sysusers"
done
sync
