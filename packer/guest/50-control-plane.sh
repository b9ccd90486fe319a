#!/usr/bin/env bash
# `service install` runs `slm-copilot install`, so the control plane must run before it: the pinned Node runtime
# (staged and verified by 20-artifacts.sh), the bundle and the lock, in a build directory, behind the launcher
# /usr/local/bin/slm-copilot. The install stage then puts all of it in /opt/slm-copilot and rewrites the launcher.
#
# This build-time launcher gives `install` the staged cache as its artifacts directory (what an air-gapped
# install is given): appliance.sh runs `slm-copilot install` without options, and the backend archive has no
# download URL, so without a local source the install would refuse it. The files are verified where they are.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

runtime=$(artifact_path node-runtime)
step "control plane: Node from $(basename "$runtime"), $(basename "$SLM_UPLOAD/slm-copilot.mjs")"
rm -rf "$SLM_BUILD/node"
install -d -m 0755 "$SLM_BUILD/node"
tar -xzf "$runtime" -C "$SLM_BUILD/node" --strip-components=1 --no-same-owner
install -m 0644 "$SLM_UPLOAD/slm-copilot.mjs" "$SLM_BUILD/slm-copilot.mjs"
# The install stage reads the lock next to the bundle.
install -m 0644 "$SLM_UPLOAD/artifacts.lock.json" "$SLM_BUILD/artifacts.lock.json"
cat >"$SLM_LAUNCHER" <<LAUNCHER
#!/bin/sh
# SLM-Copilot image build only (packer/guest/50-control-plane.sh); slm-copilot install replaces this file.
if [ "\$1" = install ]; then
    shift
    exec $SLM_BUILD/node/bin/node $SLM_BUILD/slm-copilot.mjs install --artifacts $SLM_CACHE "\$@"
fi
exec $SLM_BUILD/node/bin/node $SLM_BUILD/slm-copilot.mjs "\$@"
LAUNCHER
chmod 0755 "$SLM_LAUNCHER"
step "slm-copilot $("$SLM_LAUNCHER" --version) on Node $("$SLM_BUILD/node/bin/node" --version)"
