#!/usr/bin/env bash
# The one-apps service framework (pinned in the lock: a tagged source archive), laid out as one-apps' own service
# builds do, with SLM-Copilot's appliance.sh as /etc/one-appliance/service.d/appliance.sh. The two context hooks
# go into /etc/one-context.d unconditionally: a hook that silently stays behind means configure and bootstrap
# never run at boot.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

archive=$(artifact_path one-apps-framework)
src="$SLM_BUILD/one-apps"
step "one-apps framework from $(basename "$archive")"
rm -rf "$src"
install -d -m 0700 "$src"
tar -xzf "$archive" -C "$src" --strip-components=1 --no-same-owner \
    --wildcards '*/appliances/service.sh' '*/appliances/lib/common.sh' '*/appliances/lib/functions.sh' \
    '*/appliances/scripts/net-90-service-appliance' '*/appliances/scripts/net-99-report-ready'

install -o 0 -g 0 -m u=rwx,g=rx,o= -d /etc/one-appliance /etc/one-appliance/service.d /etc/one-appliance/lib
install -o 0 -g 0 -m u=rwx,g=rx,o=rx -d /opt/one-appliance /opt/one-appliance/bin
install -o 0 -g 0 -m 0755 "$src/appliances/service.sh" /etc/one-appliance/service
install -o 0 -g 0 -m 0644 "$src/appliances/lib/common.sh" "$src/appliances/lib/functions.sh" /etc/one-appliance/lib/
install -o 0 -g 0 -m 0644 "$SLM_UPLOAD/appliance.sh" /etc/one-appliance/service.d/appliance.sh
# Replaces one-context's own net-99-report-ready: READY only once bootstrap succeeded.
install -o 0 -g 0 -m 0755 "$src/appliances/scripts/net-90-service-appliance" \
    "$src/appliances/scripts/net-99-report-ready" /etc/one-context.d/

for file in /etc/one-appliance/service /etc/one-appliance/lib/common.sh /etc/one-appliance/lib/functions.sh \
    /etc/one-appliance/service.d/appliance.sh /etc/one-context.d/net-90-service-appliance \
    /etc/one-context.d/net-99-report-ready; do
    [ -s "$file" ] || die "$file is missing or empty"
done
bash -n /etc/one-appliance/service /etc/one-appliance/service.d/appliance.sh
rm -rf "$src"
sync
