#!/usr/bin/env bash
# make image: the SLM-Copilot appliance image, from the pinned artifacts to export/slm-copilot-<version>.qcow2, its
# manifest and the marketplace YAML. Every step is also a command of its own (docs/BUILD.md, "By hand").
#
# Settings (environment, or make variables: make image LOCAL_DIR=/srv/artifacts):
#   BUILD_DIR      build files, Packer output               (default build)
#   ARTIFACTS_DIR  verified artifacts, kept across builds   (default $BUILD_DIR/artifacts)
#   EXPORT_DIR     the image and its manifest               (default export)
#   LOCAL_DIR      air-gapped: a directory holding the artifacts under their lock file names
#   MIRROR         air-gapped: a base URL serving them
#   NO_PIN=1       never pin: unpinned artifacts stop the build (CI pipelines that must not pin implicitly)
#   APT_MIRROR     an Ubuntu archive mirror for the build VM (the image keeps Ubuntu's sources)
#   PACKER_ARGS    more arguments for packer build, e.g. "-var memory_mb=6144"
# The proxy variables (http_proxy, https_proxy, no_proxy) reach the downloads and the build VM.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR="${BUILD_DIR:-build}"
ARTIFACTS_DIR="${ARTIFACTS_DIR:-$BUILD_DIR/artifacts}"
EXPORT_DIR="${EXPORT_DIR:-export}"
VERSION=$(node -p 'require("./package.json").version')
IMAGE="$EXPORT_DIR/slm-copilot-$VERSION.qcow2"
MANIFEST="$EXPORT_DIR/slm-copilot-$VERSION.yaml"
CLI=(node dist/slm-copilot.mjs)
STEPS=7
started=$SECONDS

step() {
    local minutes=$(((SECONDS - started) / 60)) seconds=$(((SECONDS - started) % 60))
    printf '\n==> [%s/%s] %s  (%dm%02ds elapsed)\n' "$1" "$STEPS" "$2" "$minutes" "$seconds"
}

on_error() {
    local status=$?
    printf '\nmake image failed (exit %s) after %ds. Build VM console: %s/serial.log; Packer debug: PACKER_LOG=1 make image.\n' \
        "$status" "$((SECONDS - started))" "$BUILD_DIR" >&2
    exit "$status"
}
trap on_error ERR

sources=()
[ -z "${LOCAL_DIR:-}" ] || sources+=(--local-dir "$LOCAL_DIR")
[ -z "${MIRROR:-}" ] || sources+=(--mirror "$MIRROR")

pin=()
[ -z "${NO_PIN:-}" ] || pin+=(--no-pin)

# On a connected host the lock's unpinned artifacts are pinned first, from their publishers' own checksums, as
# make lock does (review and commit the lock afterwards); NO_PIN=1, LOCAL_DIR or MIRROR never ask a publisher.
step 1 'pin what the lock leaves unpinned, then preflight: tools, KVM, Packer and its qemu plugin, disk, lock, artifacts'
mkdir -p "$BUILD_DIR"
"${CLI[@]}" image preflight --lock artifacts.lock.json --artifacts "$ARTIFACTS_DIR" --work "$BUILD_DIR" \
    "${sources[@]}" "${pin[@]}" || { trap - ERR; echo 'make image: preflight failed; nothing was started.' >&2; exit 1; }

step 2 "artifacts: fetch and verify against artifacts.lock.json into $ARTIFACTS_DIR"
"${CLI[@]}" image fetch --lock artifacts.lock.json --artifacts "$ARTIFACTS_DIR" \
    --guest-list "$BUILD_DIR/guest-artifacts.txt" "${sources[@]}"

step 3 "the build user's one-time SSH key and cloud-init seed"
packer/host/seed.sh "$BUILD_DIR"

step 4 'packer init (the qemu plugin; nothing is downloaded when it is installed)'
packer init packer/

step 5 'packer build: boot, provision, service install, cleanup, virt-sysprep, virt-sparsify'
rm -rf "$BUILD_DIR/packer-out"
# shellcheck disable=SC2086 # PACKER_ARGS is a list of arguments
packer build -force -timestamp-ui \
    -var "lock_file=artifacts.lock.json" \
    -var "artifacts_dir=$ARTIFACTS_DIR" \
    -var "work_dir=$BUILD_DIR" \
    -var "output_dir=$BUILD_DIR/packer-out" \
    -var "apt_mirror=${APT_MIRROR:-}" \
    ${PACKER_ARGS:-} \
    packer/

step 6 "compress: qemu-img convert -c → $IMAGE"
mkdir -p "$EXPORT_DIR"
rm -f "$IMAGE"
qemu-img convert -p -c -O qcow2 "$BUILD_DIR/packer-out/slm-copilot" "$IMAGE"

step 7 'manifest and marketplace YAML'
"${CLI[@]}" image manifest --image "$IMAGE" --out "$MANIFEST"
# The committed copy follows the last image built: review and commit marketplace/ when publishing it. The image
# URL's base is APPLIANCE_INFO.imageBaseUrl (src/build/marketplace/appliance.ts), so the committed files stay reproducible.
cp "$MANIFEST" marketplace/manifest.yaml
"${CLI[@]}" marketplace --manifest marketplace/manifest.yaml --out marketplace

rm -rf "$BUILD_DIR/packer-out" "$BUILD_DIR/seed" "$BUILD_DIR/seed.iso" "$BUILD_DIR/build-key" "$BUILD_DIR/build-key.pub"
printf '\nmake image: done in %dm. %s (%s), manifest %s, marketplace/ updated.\n' \
    "$(((SECONDS - started) / 60))" "$IMAGE" "$(du -h "$IMAGE" | cut -f1)" "$MANIFEST"
