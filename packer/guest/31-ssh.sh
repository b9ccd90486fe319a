#!/usr/bin/env bash
# SSH in the image: keys only, root by key only (the context's SSH_PUBLIC_KEY), no keyboard-interactive.
# A drop-in read first wins over the cloud image's own (sshd keeps the first value it reads), and the cloud
# image's drop-ins that allow passwords go.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

step 'sshd: PasswordAuthentication no, PermitRootLogin prohibit-password'
rm -f /etc/ssh/sshd_config.d/*-cloud-init.conf /etc/ssh/sshd_config.d/*-cloudimg-settings.conf
cat >/etc/ssh/sshd_config.d/00-slm-copilot.conf <<'SSHD'
# SLM-Copilot appliance (packer/guest/31-ssh.sh): keys only.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin prohibit-password
UseDNS no
SSHD
chmod 0644 /etc/ssh/sshd_config.d/00-slm-copilot.conf
# The main file too, for an sshd_config without the Include line.
sed -i -E \
    -e 's/^[#[:space:]]*PasswordAuthentication[[:space:]].*/PasswordAuthentication no/' \
    -e 's/^[#[:space:]]*KbdInteractiveAuthentication[[:space:]].*/KbdInteractiveAuthentication no/' \
    -e 's/^[#[:space:]]*PermitRootLogin[[:space:]].*/PermitRootLogin prohibit-password/' \
    /etc/ssh/sshd_config
sshd -t
effective=$(sshd -T -C user=root,host=localhost,addr=127.0.0.1 2>/dev/null)
grep -qx 'passwordauthentication no' <<<"$effective" || die 'sshd would still accept passwords'
grep -qx 'permitrootlogin without-password' <<<"$effective" ||
    grep -qx 'permitrootlogin prohibit-password' <<<"$effective" || die 'sshd would let root log in with a password'
sync
