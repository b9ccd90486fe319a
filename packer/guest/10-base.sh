#!/usr/bin/env bash
# Base system: wait for the first boot's cloud-init, point apt at the proxy or mirror if asked (both undone by the
# cleanup), upgrade, and block service starts for the rest of the build.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

step 'waiting for cloud-init to finish the first boot'
cloud-init status --wait >/dev/null || true

install -d -m 0700 "$SLM_BUILD"
block_service_starts

if [ -n "${http_proxy:-}${https_proxy:-}" ]; then
    step "apt through the proxy ${https_proxy:-$http_proxy}"
    {
        [ -z "${http_proxy:-}" ] || printf 'Acquire::http::Proxy "%s";\n' "$http_proxy"
        [ -z "${https_proxy:-}" ] || printf 'Acquire::https::Proxy "%s";\n' "$https_proxy"
    } >/etc/apt/apt.conf.d/90slm-copilot-build-proxy
fi

if [ -n "${APT_MIRROR:-}" ]; then
    step "apt from the mirror $APT_MIRROR"
    install -d -m 0700 "$SLM_BUILD/apt-sources.orig"
    for sources in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [ -f "$sources" ] || continue
        # Saved with its full path, restored by 90-cleanup.sh: the image must not carry a build site's mirror.
        cp -p --parents "$sources" "$SLM_BUILD/apt-sources.orig/"
        sed -i -E "s#https?://(archive|security)\.ubuntu\.com/ubuntu/?#${APT_MIRROR%/}#g" "$sources"
    done
fi

step 'apt-get update and upgrade'
apt-get update
apt-get -y --fix-broken install
apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade
sync
