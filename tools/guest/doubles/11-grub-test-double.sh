#!/usr/bin/env bash
# TEST DOUBLE for packer/guest/11-grub.sh (boot harness only, never in an image). The harness boots the kernel
# directly (no grub), with `net.ifnames=0 biosdevname=0` on its command line as 11-grub.sh puts it in grub; the
# network that one-context would configure from the context comes from systemd-networkd's DHCP on eth0 here.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

step 'TEST DOUBLE 11: systemd-networkd DHCP on eth0 (kernel command line set by the harness)'
install -d -m 0755 /etc/systemd/network
cat >/etc/systemd/network/20-eth0-test-double.network <<'NETWORK'
# TEST DOUBLE (tools/guest/doubles/11-grub-test-double.sh): one-context configures the NIC on the real image.
[Match]
Name=eth0

[Network]
DHCP=yes
NETWORK
systemctl enable systemd-networkd.service
