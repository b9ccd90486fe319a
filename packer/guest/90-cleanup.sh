#!/usr/bin/env bash
# Leaves nothing of the build in the image: cloud-init purged (one-context configures the VM from now on), snapd
# purged (it calls home), the build's apt proxy and mirror undone, apt caches, logs, the build directory, machine
# identity gone, free blocks trimmed. Done offline by virt-sysprep (packer/host/postprocess.sh), because this SSH
# session still needs them: the build user, its key and sudo rule, and the SSH host keys (one-context makes new
# ones at first boot).
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

step 'purging cloud-init, snapd, fwupd and their state'
cloud_init=$(dpkg-query -W -f '${Package}\n' 'cloud-init*' 2>/dev/null | grep -xE 'cloud-init(-base)?' || true)
# shellcheck disable=SC2086 # one word per package, possibly none
apt-get -y purge $cloud_init snapd fwupd open-vm-tools
apt-get -y autoremove --purge
rm -rf /etc/cloud /var/lib/cloud /var/log/cloud-init*.log /var/lib/snapd /snap /root/snap
# cloud-init's network configuration for the build VM's NIC: one-context writes the appliance's own at boot.
rm -f /etc/netplan/50-cloud-init.yaml /etc/sysctl.d/99-cloudimg-ipv6.conf

step 'undoing the build-only apt settings'
rm -f /etc/apt/apt.conf.d/90slm-copilot-build-proxy
if [ -d "$SLM_BUILD/apt-sources.orig" ]; then
    cp -a "$SLM_BUILD/apt-sources.orig/." /
fi
if [ -e "$SLM_BUILD/policy-rc.d.orig" ]; then
    cp -p "$SLM_BUILD/policy-rc.d.orig" /usr/sbin/policy-rc.d
else
    rm -f /usr/sbin/policy-rc.d
fi
apt-get -y clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

step 'removing build files, logs and identity'
rm -rf "$SLM_BUILD" "$SLM_CACHE" /var/tmp/* /tmp/slm-copilot-upload
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \) -delete
find /var/log -type f -exec truncate --size 0 {} +
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
rm -f /root/.bash_history /root/.lesshst /root/.wget-hsts
truncate --size 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id /var/lib/systemd/random-seed

step 'trimming free blocks (the disk is attached with discard=unmap)'
fstrim --all --verbose || true
sync
