#!/usr/bin/env bash
# Kernel command line as one-apps sets it for its Ubuntu images: classic interface names (eth0, which the context
# package's ETH0_* variables and the OpenNebula docs assume), no splash, no serial console (a console=ttyS* can
# panic the first boot), no boot menu delay.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

step 'kernel command line: net.ifnames=0 biosdevname=0, no serial console, GRUB_TIMEOUT=0'
# The cloud image's drop-ins (serial console, PARTUUID boot without initrd) would override the settings below.
rm -rf /etc/default/grub.d
install -d -m 0755 /etc/default/grub.d
cat >/etc/default/grub.d/90-slm-copilot.cfg <<'GRUB'
# SLM-Copilot image build (packer/guest/11-grub.sh)
GRUB_CMDLINE_LINUX_DEFAULT="text nomodeset"
GRUB_CMDLINE_LINUX="net.ifnames=0 biosdevname=0"
GRUB_TERMINAL=console
GRUB_TIMEOUT=0
GRUB_TIMEOUT_STYLE=hidden
GRUB
update-initramfs -u
update-grub
sync
