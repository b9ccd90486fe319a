#!/usr/bin/env bash
# TEST DOUBLE for OpenNebula's one-context at boot (installed as /usr/local/sbin/one-contextd-test-double by
# tools/guest/doubles/30-context-test-double.sh; boot harness only, never in an image). On every boot:
#   1. finds the CD-ROM labelled CONTEXT (polling with a deadline while udev loads the drivers) and mounts it;
#   2. reads context.sh and exports every variable it sets;
#   3. writes /var/run/one-context/one_env (0400 root) with `export NAME="value"` lines, as one-context does;
#   4. runs /etc/one-context.d/net-* in order with those variables in the environment;
#   5. unmounts, and prints markers on the console that the harness waits for:
#      SLM-GUEST context-start <boot id>, SLM-GUEST hook <name> rc=<n>, SLM-GUEST context-done <boot id> rc=<n>.
set -uo pipefail

boot_id=$(cat /proc/sys/kernel/random/boot_id)
mark() {
    printf 'SLM-GUEST %s\n' "$*"
}
mark "context-start $boot_id"

device=
deadline=$((SECONDS + 120))
while [ -z "$device" ] && [ "$SECONDS" -lt "$deadline" ]; do
    modprobe -q sr_mod 2>/dev/null || true
    device=$(blkid -t LABEL=CONTEXT -o device 2>/dev/null | head -n 1 || true)
    [ -n "$device" ] || sleep 1
done
if [ -z "$device" ]; then
    mark "context-done $boot_id rc=1 no CD-ROM labelled CONTEXT"
    exit 1
fi

mnt=/run/one-context-test-double/mnt
install -d -m 0700 /run/one-context-test-double "$mnt"
if ! mount -t iso9660 -o ro "$device" "$mnt"; then
    mark "context-done $boot_id rc=1 cannot mount $device"
    exit 1
fi
if [ ! -f "$mnt/context.sh" ]; then
    umount "$mnt"
    mark "context-done $boot_id rc=1 no context.sh on $device"
    exit 1
fi

# The names context.sh assigns (NAME='value' lines, as OpenNebula writes them).
mapfile -t names < <(grep -oE '^[A-Za-z_][A-Za-z0-9_]*=' "$mnt/context.sh" | tr -d '=' | sort -u)
set -a
# shellcheck disable=SC1091 # the context CD's file
. "$mnt/context.sh"
set +a
umount "$mnt"

install -d -m 0700 /var/run/one-context
env_file=/var/run/one-context/one_env
tmp=$(mktemp /var/run/one-context/.one_env.XXXXXX)
for name in "${names[@]}"; do
    value=${!name-}
    value=${value//\\/\\\\}
    value=${value//\"/\\\"}
    value=${value//\$/\\\$}
    value=${value//\`/\\\`}
    printf 'export %s="%s"\n' "$name" "$value"
done >"$tmp"
chmod 0400 "$tmp"
mv -f "$tmp" "$env_file"

status=0
for hook in /etc/one-context.d/net-*; do
    [ -x "$hook" ] || continue
    rc=0
    "$hook" || rc=$?
    mark "hook $(basename "$hook") rc=$rc"
    [ "$rc" -eq 0 ] || status=$rc
done
mark "context-done $boot_id rc=$status"
exit "$status"
