# shellcheck shell=bash
# SLM-Copilot for the OpenNebula one-apps framework (installed as /etc/one-appliance/service.d/appliance.sh).
#
# The one-apps driver (/etc/one-appliance/service) sources this file and runs one stage per call, under
# `set -e` and `umask 0077`, with its helpers (msg, is_true, default_service_help, create_one_service_metadata)
# defined. So this file sets no shell options of its own. Each stage is a thin shim over the `slm-copilot`
# control plane, which owns the settings: defaults, validation and every file and service. Keep it that way:
# no defaults (no ${ONEAPP_...:-x}) and no logic here.
#
# Under the driver's set -e, `msg error` (which returns 1) ends the stage where it stands: it is only ever
# the last thing said before a deliberate `return`.

# BEGIN generated: appliance version (npm run generate)
SLM_COPILOT_VERSION='0.1.0'
# END generated: appliance version

# shellcheck disable=SC2034 # metadata: read by the driver and its create_one_service_metadata
ONE_SERVICE_NAME='Service SLM-Copilot - sovereign CPU coding assistant'
# shellcheck disable=SC2034 # `service install <version>` may override it, as the driver does
ONE_SERVICE_VERSION="${SLM_COPILOT_VERSION}"
# shellcheck disable=SC2034 # metadata
ONE_SERVICE_BUILD=$(date +%s)
# shellcheck disable=SC2034 # metadata
ONE_SERVICE_SHORT_DESCRIPTION='CPU-only AI coding assistant for VS Code Cline: LocalAI and Devstral Small 2 behind TLS and API keys.'
# shellcheck disable=SC2034 # metadata
ONE_SERVICE_DESCRIPTION="SLM-Copilot serves Mistral's Devstral Small 2 (24B, Q4_K_M GGUF, baked into the image)
with LocalAI on 127.0.0.1, behind nginx: TLS (appliance CA, Let's Encrypt or an operator
certificate), Bearer API keys and Basic auth, CORS and unbuffered streaming. No GPU, no Docker,
no calls home. Every setting is an ONEAPP_COPILOT_* context variable (see the service help);
the report in /etc/one-appliance/config has the endpoint, the Cline settings and the
credentials. Give the VM a host-passthrough CPU, 16 vCPU and 32 GB of RAM."
# shellcheck disable=SC2034 # the driver stops configure/bootstrap after the first boot unless this is true
ONE_SERVICE_RECONFIGURABLE=true

# BEGIN generated: ONE_SERVICE_PARAMS from src/core/settings/declarations.ts (npm run generate)
# shellcheck disable=SC2034 # read by the driver (default_service_help) and by service_help
ONE_SERVICE_PARAMS=(
    'ONEAPP_COPILOT_AUTH_KEYS' 'configure' 'Bearer API keys (what Cline'\''s API Key field sends), comma-separated, each name:key or a bare key (named key1, key2, …); keys have at least 32 characters. A key removed here is revoked.' 'O|password'
    'ONEAPP_COPILOT_AUTH_USER' 'configure' 'User name for HTTP Basic auth (curl, browsers).' 'O|text'
    'ONEAPP_COPILOT_AUTH_PASSWORD' 'configure' 'Password for HTTP Basic auth, 12 to 128 printable characters.' 'O|password'
    'ONEAPP_COPILOT_TLS_DOMAIN' 'bootstrap' 'Public DNS name of this VM. When set, a Let'\''s Encrypt certificate is requested for it (port 80 must be reachable); empty uses the appliance'\''s own CA.' 'O|text'
    'ONEAPP_COPILOT_TLS_EMAIL' 'bootstrap' 'E-mail for the Let'\''s Encrypt account (expiry notices). Optional.' 'O|text'
    'ONEAPP_COPILOT_TLS_CERT' 'configure' 'Operator-supplied certificate chain (PEM, leaf first), base64-encoded. Set together with ONEAPP_COPILOT_TLS_KEY; takes precedence over the appliance CA and Let'\''s Encrypt.' 'O|text64'
    'ONEAPP_COPILOT_TLS_KEY' 'configure' 'Private key of ONEAPP_COPILOT_TLS_CERT (unencrypted PEM), base64-encoded.' 'O|text64'
    'ONEAPP_COPILOT_MODEL_CONTEXT' 'configure' 'Context window in tokens, or auto: the largest of 8192…32768 that fits the VM'\''s RAM. Enter the same number as Cline'\''s Context Window.' 'O|list'
    'ONEAPP_COPILOT_MODEL_THREADS' 'configure' 'Inference threads, or auto: one per physical core.' 'O|text'
    'ONEAPP_COPILOT_API_CORS_ORIGINS' 'configure' 'Browser origins allowed by CORS: * or a comma-separated list such as https://ide.example.com.' 'O|text'
    'ONEAPP_COPILOT_API_TIMEOUT' 'configure' 'Seconds one request may take end to end (queueing, prompt processing and generation).' 'O|number'
    'ONEAPP_COPILOT_API_STREAM_GRACE' 'configure' 'Seconds a streamed request may wait for its first token (queue and prompt processing) before the relay sends response headers and keep-alives; clients such as Cline give up after 300 s without headers.' 'O|number'
    'ONEAPP_COPILOT_API_KEEPALIVE_INTERVAL' 'configure' 'Seconds between the SSE keep-alive comments a streamed request receives while it waits for its first token.' 'O|number'
    'ONEAPP_COPILOT_API_QUEUE_LIMIT' 'configure' 'Completion requests that may wait while the model serves another (it serves one at a time); more are refused with HTTP 429 and Retry-After.' 'O|number'
    'ONEAPP_COPILOT_API_WARMUP' 'configure' 'How many prompt prefixes (system prompt and tools, per API key) the relay remembers and re-warms after every model start, so each user'\''s first request prefills only what is new; 0 turns it off and deletes what was stored. The stored prompts hold workspace paths and custom instructions: they stay on the VM, readable by root and the relay, and VM snapshots copy them.' 'O|number'
    'ONEAPP_COPILOT_SERVICE_ROLE' 'configure' 'standalone: this VM serves alone. In a OneFlow service (its template sets it per role): front terminates TLS, checks keys and routes each key to the worker holding its prompt cache; worker runs the model for the front only.' 'O|list'
    'ONEAPP_COPILOT_SERVICE_SECRET' 'configure' 'Shared by a OneFlow service'\''s front and workers: the front sends it with every request and a worker serves nothing without it. At least 32 printable characters; required for the front and worker roles, unused standalone.' 'O|password'
    'ONEAPP_COPILOT_SERVICE_FRONT' 'configure' 'A OneFlow worker'\''s front: the IPv4 address the worker serves, and the only one it lets in. The service template fills it from the front VM; required for the worker role, unused otherwise.' 'O|text'
)
# END generated: ONE_SERVICE_PARAMS

# Where the image's install step puts the launcher, used when PATH does not find it first.
SLM_COPILOT_LAUNCHER=/usr/local/bin/slm-copilot

service_install()
{
    slm_copilot_stage install

    # The driver's helper writes /etc/one-appliance/metadata (name, version, build, descriptions).
    if declare -F create_one_service_metadata >/dev/null; then
        create_one_service_metadata
    fi
}

service_configure()
{
    slm_copilot_stage configure
}

service_bootstrap()
{
    slm_copilot_stage bootstrap
}

service_help()
{
    if declare -F default_service_help >/dev/null; then
        default_service_help
    else
        slm_copilot_params_help
    fi
    echo
    echo 'Every variable is optional: empty or unset takes the default. "slm-copilot plan" shows'
    echo 'what a context would do on this VM, defaults included.'
}

service_cleanup()
{
    # Called by the driver after every stage, successful or not: nothing to clean, the stages leave no
    # temporary state behind.
    :
}

# --- helpers (not part of the one-apps interface) ------------------------------------------------------

# Prints the slm-copilot to run, or returns 1 when there is none.
slm_copilot_program()
{
    if command -v slm-copilot; then
        return 0
    fi
    if [ -x "$SLM_COPILOT_LAUNCHER" ]; then
        echo "$SLM_COPILOT_LAUNCHER"
        return 0
    fi
    return 1
}

# Runs `slm-copilot <stage>` and returns its exit status. Its output (stdout and stderr) is the stage's
# log: the driver tees it to /var/log/one-appliance/<stage>.log.
slm_copilot_stage()
{
    local stage="$1" program status=0

    if ! program=$(slm_copilot_program); then
        # `|| true`: keep 127 (command not found) as the stage's exit status rather than msg's 1.
        msg error "slm-copilot not found (not on PATH=${PATH}, no ${SLM_COPILOT_LAUNCHER}):" \
            "the ${stage} stage cannot run without the SLM-Copilot control plane" || true
        return 127
    fi

    msg info "SLM-Copilot ${ONE_SERVICE_VERSION}: running ${program} ${stage}"
    "$program" "$stage" || status=$?
    if [ "$status" -ne 0 ]; then
        # `|| true`: the stage fails with slm-copilot's own exit status (2 = refused settings, …), not msg's 1.
        msg error "slm-copilot ${stage} failed with exit status ${status}; its messages above say why" || true
        return "$status"
    fi
    msg info "slm-copilot ${stage} done"
}

# The parameter list, for a driver without default_service_help.
slm_copilot_params_help()
{
    local index stage
    for stage in configure bootstrap; do
        echo "${stage}:"
        for ((index = 0; index + 3 < ${#ONE_SERVICE_PARAMS[@]}; index += 4)); do
            if [ "${ONE_SERVICE_PARAMS[index + 1]}" = "$stage" ]; then
                printf '  %-38s %s\n' "${ONE_SERVICE_PARAMS[index]}" "${ONE_SERVICE_PARAMS[index + 2]}"
            fi
        done
    done
}
