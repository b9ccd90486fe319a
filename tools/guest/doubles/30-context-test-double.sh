#!/usr/bin/env bash
# TEST DOUBLE for packer/guest/30-context.sh (boot harness only, never in an image). OpenNebula's one-context
# package comes from GitHub, which this machine cannot reach; in its place an emulation of what it does at boot
# (tools/guest/doubles/one-contextd-test-double.sh): mount the CD labelled CONTEXT, export its variables, write
# /var/run/one-context/one_env (0400), run the net-* hooks of /etc/one-context.d.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

doubles="$SLM_UPLOAD/test-doubles"
step 'TEST DOUBLE 30: one-contextd emulation instead of the one-context package'
install -d -m 0755 /etc/one-context.d
install -m 0755 "$doubles/one-contextd-test-double.sh" /usr/local/sbin/one-contextd-test-double
install -m 0644 "$doubles/one-context-test-double.service" /etc/systemd/system/one-context-test-double.service
systemctl enable one-context-test-double.service

step 'systemd-sysusers (system users the packages declared)'
systemd-sysusers
getent passwd systemd-network >/dev/null || die 'system user systemd-network is missing after systemd-sysusers'
