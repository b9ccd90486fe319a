#!/usr/bin/env bash
# The one-apps install stage, as one-apps' service builds run it: the driver runs appliance.sh's service_install,
# which runs `slm-copilot install` (packages, LocalAI, backend, model, users, all verified against the lock from the
# staged cache). The status must end as install_success, baked into the image.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

step '/etc/one-appliance/service install'
/etc/one-appliance/service install
sync
status=$(cat /etc/one-appliance/status 2>/dev/null || true)
[ "$status" = 'install_success' ] || die "the install stage ended with status '${status:-none}' (/var/log/one-appliance/install.log)"
if ! { [ -x /opt/slm-copilot/node/bin/node ] && [ -s /opt/slm-copilot/slm-copilot.mjs ]; }; then
    die 'the install stage did not put the control plane in /opt/slm-copilot'
fi
grep -q '/opt/slm-copilot/' "$SLM_LAUNCHER" || die 'the launcher still points at the build directory'
step "install_success; slm-copilot $("$SLM_LAUNCHER" --version) in /opt/slm-copilot"
