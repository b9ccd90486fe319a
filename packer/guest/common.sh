# shellcheck shell=bash
# Sourced by every provisioner script of the SLM-Copilot image build (uploaded to /tmp/slm-copilot-upload/ first).
# They run as root (sudo) inside the build VM, with the proxy variables and the build's settings in the environment.

set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# The paths are fixed in the build VM; the tests (test/build/image/guestScripts.test.ts) point them elsewhere.
# What the host uploaded: the bundle, the lock, appliance.sh, this file and the build VM's artifact list.
SLM_UPLOAD="${SLM_UPLOAD:-/tmp/slm-copilot-upload}"
# `slm-copilot install` verifies its artifacts from here and deletes the directory when done.
SLM_CACHE="${SLM_CACHE:-/var/cache/slm-copilot}"
# The control plane as it runs before `service install` puts it in /opt/slm-copilot (removed by the cleanup).
SLM_BUILD="${SLM_BUILD:-/var/tmp/slm-copilot-build}"
# appliance.sh runs `slm-copilot` from PATH or from here.
SLM_LAUNCHER="${SLM_LAUNCHER:-/usr/local/bin/slm-copilot}"
SLM_ARTIFACT_LIST="$SLM_UPLOAD/guest-artifacts.txt"

step() {
    printf '==> %s\n' "$*"
}

die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# The file name of a locked artifact (guest-artifacts.txt lines: "<name> <file> <sha256>").
artifact_file() {
    local file
    file=$(awk -v name="$1" '$1 == name { print $2 }' "$SLM_ARTIFACT_LIST")
    [ -n "$file" ] || die "$1 is not in $SLM_ARTIFACT_LIST"
    printf '%s\n' "$file"
}

# The path of a staged artifact in the cache (20-artifacts.sh put it there, verified).
artifact_path() {
    local path
    path="$SLM_CACHE/$(artifact_file "$1")"
    [ -f "$path" ] || die "$path is missing: 20-artifacts.sh stages it first"
    printf '%s\n' "$path"
}

# Keep package installs from starting services in the build VM (restored by 90-cleanup.sh).
block_service_starts() {
    if [ -e /usr/sbin/policy-rc.d ] && [ ! -e "$SLM_BUILD/policy-rc.d.orig" ]; then
        install -d -m 0700 "$SLM_BUILD"
        cp -p /usr/sbin/policy-rc.d "$SLM_BUILD/policy-rc.d.orig"
    fi
    printf '#!/bin/sh\n# SLM-Copilot image build: no service starts during package installs\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
}
