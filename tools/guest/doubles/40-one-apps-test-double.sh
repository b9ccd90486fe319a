#!/usr/bin/env bash
# TEST DOUBLE for packer/guest/40-one-apps.sh (boot harness only, never in an image). The one-apps framework comes
# from GitHub; in its place the project's emulation of its stage driver (test/appliance/lifecycle/driver/service, common.sh,
# boot), installed where one-apps puts its files: /etc/one-appliance/service runs the driver with the real root,
# appliance.sh is /etc/one-appliance/service.d/appliance.sh, and /etc/one-context.d/net-90-service-appliance runs
# configure then bootstrap on every boot. No net-99-report-ready (OneGate is not reachable here).
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

doubles="$SLM_UPLOAD/test-doubles"
driver=/opt/one-appliance-test-double
step "TEST DOUBLE 40: the project's one-apps driver emulation in $driver"
install -o 0 -g 0 -m u=rwx,g=rx,o= -d /etc/one-appliance /etc/one-appliance/service.d
install -o 0 -g 0 -m 0755 -d "$driver"
install -o 0 -g 0 -m 0755 "$doubles/driver/service" "$doubles/driver/boot" "$driver/"
install -o 0 -g 0 -m 0644 "$doubles/driver/common.sh" "$driver/"
install -o 0 -g 0 -m 0644 "$SLM_UPLOAD/appliance.sh" /etc/one-appliance/service.d/appliance.sh
# The emulation keeps its paths under ONE_SERVICE_ROOT; on this guest that is the real root.
cat >/etc/one-appliance/service <<WRAPPER
#!/bin/sh
# TEST DOUBLE for one-apps' /etc/one-appliance/service (tools/guest/doubles/40-one-apps-test-double.sh).
ONE_SERVICE_ROOT=/
export ONE_SERVICE_ROOT
exec $driver/service "\$@"
WRAPPER
chmod 0755 /etc/one-appliance/service
install -d -m 0755 /etc/one-context.d
cat >/etc/one-context.d/net-90-service-appliance <<HOOK
#!/bin/sh
# TEST DOUBLE for one-apps' net-90-service-appliance (tools/guest/doubles/40-one-apps-test-double.sh):
# configure, then bootstrap when configure succeeded.
ONE_SERVICE_ROOT=/ ONE_SERVICE_DRIVER=/etc/one-appliance/service
export ONE_SERVICE_ROOT ONE_SERVICE_DRIVER
exec $driver/boot "\$@"
HOOK
chmod 0755 /etc/one-context.d/net-90-service-appliance
for file in /etc/one-appliance/service /etc/one-appliance/service.d/appliance.sh \
    /etc/one-context.d/net-90-service-appliance "$driver/service" "$driver/common.sh" "$driver/boot"; do
    [ -s "$file" ] || die "$file is missing or empty"
done
bash -n "$driver/service" /etc/one-appliance/service.d/appliance.sh
