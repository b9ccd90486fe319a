#!/usr/bin/env bash
# Makes sure this machine has what `make check` needs, installing what it can:
#   - Debian/Ubuntu packages (apt-get, as root; otherwise prints the command to run),
#   - Node.js >= 20 with npm (only checked: Debian 12's and Ubuntu 24.04's nodejs are too old),
#   - the npm dependencies of the repository and of runtime/ (npm ci when missing or stale).
# Prints a single line when everything is already there.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

min_node_major=20
did_something=false

# command-or-marker -> Debian package. nginx lives in /usr/sbin, which a non-root PATH may lack;
# ca-certificates has no command, its bundle file is the marker.
have() {
  case "$1" in
    nginx) command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ;;
    ca-certificates) [ -s /etc/ssl/certs/ca-certificates.crt ] ;;
    openssh-client) command -v ssh-keygen >/dev/null 2>&1 ;;
    python3-numpy) /usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 ;;
    qemu-system-x86) command -v qemu-system-x86_64 >/dev/null 2>&1 ;;
    qemu-utils) command -v qemu-img >/dev/null 2>&1 ;;
    e2fsprogs) command -v mke2fs >/dev/null 2>&1 || [ -x /usr/sbin/mke2fs ] ;;
    iproute2) command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] ;;
    debootstrap) command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# --- Node.js and npm -----------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: Node.js ${min_node_major}+ with npm is required and was not found on PATH." >&2
  echo "       Install Node.js ${min_node_major} or newer (nodejs.org binaries, nvm, or NodeSource packages;" >&2
  echo "       the distribution's 'nodejs' on Debian 12 / Ubuntu 24.04 is 18, too old), then re-run." >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt "$min_node_major" ]; then
  echo "error: Node.js ${min_node_major}+ is required; $(command -v node) is $(node --version)." >&2
  echo "       Install Node.js ${min_node_major} or newer (nodejs.org binaries, nvm, or NodeSource) first on PATH." >&2
  exit 1
fi

# --- Debian packages -----------------------------------------------------------------------------
# Each needed by make check: nginx/openssl/curl/pebble/certbot for the host tests, shellcheck and
# yamllint for linting, packer to validate the image template, make for make itself, ruby to check the
# certification spec's syntax, ssh-keygen for the build tests' key, git for the make-lock tests; cmake, g++ and git
# build the test engine (make engine: llama-server), python3 with numpy generates its test models; QEMU, debootstrap,
# xorriso and e2fsprogs build and boot the test guest (test/acceptance/boot); iproute2 (ip netns, veth, bridge) gives
# the OneFlow scale-out suite's front and workers their own addresses (test/acceptance/oneflow).
missing=()
packages=(make nginx openssl curl ca-certificates shellcheck yamllint packer pebble certbot ruby openssh-client git
  cmake g++ python3 python3-numpy qemu-system-x86 qemu-utils debootstrap xorriso e2fsprogs iproute2)
for pkg in "${packages[@]}"; do
  have "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  install_cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing: ${missing[*]} (needed by make check)." >&2
    if command -v apt-get >/dev/null 2>&1; then
      echo "       Run as root:  apt-get update && ${install_cmd}" >&2
      echo "       (or with sudo: sudo apt-get update && sudo ${install_cmd})" >&2
    else
      echo "       No apt-get here: install those with your system's package manager." >&2
    fi
    exit 1
  fi

  echo "installing: ${missing[*]} (needed by make check)"
  # Keep dpkg from starting services while installing (nginx would grab port 80, and fail the
  # install if it is taken): policy-rc.d exit 101 = "action forbidden", honoured by invoke-rc.d and
  # deb-systemd-invoke. Only a file we created ourselves is removed again.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from slm-copilot scripts/ensure-deps.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

  # The packages enable their units on systemd machines; tests start their own instances, so stop
  # and disable the system ones. Without systemd, policy-rc.d above already kept them from starting.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    for svc in nginx pebble; do
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    done
  fi
  did_something=true
fi

# --- npm dependencies ----------------------------------------------------------------------------
# npm writes <dir>/node_modules/.package-lock.json on install: a lock file newer than that (or no
# node_modules at all) means the tree is missing or stale.
npm_ci_if_stale() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "npm ci in ${dir} (node_modules missing or older than package-lock.json)"
    npm ci --prefix "$dir" --no-audit --no-fund
    did_something=true
  fi
}
npm_ci_if_stale .
npm_ci_if_stale runtime

if [ "$did_something" = false ]; then
  echo "dependencies: all present"
fi
