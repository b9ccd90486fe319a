#!/usr/bin/env bash
# The build user's cloud-init seed: a one-time SSH key pair (never in the image: virt-sysprep removes the user and
# its authorized_keys) and a NoCloud seed ISO that creates only that user, with sudo and no password at all.
# Usage: packer/host/seed.sh WORK_DIR   → WORK_DIR/build-key{,.pub}, WORK_DIR/seed.iso
set -euo pipefail

work="${1:?usage: seed.sh WORK_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$work/seed"
rm -f "$work/build-key" "$work/build-key.pub" "$work/seed.iso"
ssh-keygen -q -t ed25519 -N '' -C 'slm-copilot image build (one-time)' -f "$work/build-key"

public_key=$(cat "$work/build-key.pub")
sed "s|@BUILD_SSH_PUBLIC_KEY@|${public_key}|" "$here/cloud-init/user-data" >"$work/seed/user-data"
cp "$here/cloud-init/meta-data" "$work/seed/meta-data"
if grep -q '@BUILD_SSH_PUBLIC_KEY@' "$work/seed/user-data"; then
    echo "seed.sh: the public key was not substituted into user-data" >&2
    exit 1
fi

if command -v cloud-localds >/dev/null 2>&1; then
    cloud-localds "$work/seed.iso" "$work/seed/user-data" "$work/seed/meta-data"
elif command -v genisoimage >/dev/null 2>&1; then
    genisoimage -quiet -output "$work/seed.iso" -volid cidata -joliet -rock \
        "$work/seed/user-data" "$work/seed/meta-data"
else
    echo "seed.sh: neither cloud-localds nor genisoimage is installed. Fix: apt-get install -y cloud-image-utils" >&2
    exit 1
fi
echo "seed.sh: $work/seed.iso (build user slm-build, key $work/build-key)"
