#!/usr/bin/env bash
# Stages every pinned artifact the build VM needs from the build host (Packer's HTTP server, which serves the
# host's verified artifacts directory) into the install stage's cache, each checked against the lock's sha256.
# The build VM never downloads an artifact from the internet, so a build is as air-gapped as its host.
# shellcheck source=packer/guest/common.sh disable=SC1091
. "${SLM_UPLOAD:-/tmp/slm-copilot-upload}/common.sh"

: "${PACKER_HTTP_ADDR:?Packer gave no HTTP server address: the template must set http_directory}"

# curl in the background, one progress line every 15 s (Packer shows the script's output as it comes).
fetch() {
    local url="$1" out="$2" total="$3" pid ticks=0
    # The host's server is reached directly: a proxy would not know 10.0.2.2.
    curl --noproxy '*' --fail --silent --show-error --retry 5 --retry-connrefused --continue-at - \
        --output "$out" "$url" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        ticks=$((ticks + 1))
        if [ $((ticks % 15)) -eq 0 ] && [ -f "$out" ]; then
            printf '    %s / %s\n' "$(numfmt --to=iec "$(stat -c %s "$out")")" "$total"
        fi
    done
    wait "$pid"
}

install -d -m 0700 "$SLM_CACHE"
count=0
while read -r name file sha256; do
    [ -n "$name" ] || continue
    count=$((count + 1))
    dest="$SLM_CACHE/$file"
    if [ -f "$dest" ] && printf '%s  %s\n' "$sha256" "$dest" | sha256sum --check --status; then
        step "$name: $file already staged"
        continue
    fi
    size=$(curl --noproxy '*' --fail --silent --show-error --head "http://$PACKER_HTTP_ADDR/$file" |
        awk 'tolower($1) == "content-length:" { print $2 }' | tr -d '\r')
    step "$name: $file ($(numfmt --to=iec "${size:-0}")) from the build host"
    fetch "http://$PACKER_HTTP_ADDR/$file" "$dest.part" "$(numfmt --to=iec "${size:-0}")"
    if ! printf '%s  %s\n' "$sha256" "$dest.part" | sha256sum --check --status; then
        rm -f "$dest.part"
        die "$name: $file from the build host does not match the lock's sha256 $sha256"
    fi
    mv "$dest.part" "$dest"
done <"$SLM_ARTIFACT_LIST"
[ "$count" -gt 0 ] || die "$SLM_ARTIFACT_LIST lists no artifact"
step "$count artifacts staged in $SLM_CACHE and verified"
