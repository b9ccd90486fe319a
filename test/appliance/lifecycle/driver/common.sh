# shellcheck shell=bash
# Test emulation of the helpers the one-apps framework gives an appliance (its lib/common.sh), written from
# the documented behaviour of one-apps (not from its code). The driver emulation
# (./service) sources this file before the appliance, exactly where the real driver sources its own.

# msg <type> <text...>: one line "[date] => LABEL: text". info goes to stdout and returns 0; debug and
# warning go to stderr and return 0; error goes to stderr and returns 1 (so a bare `msg error` ends a
# stage under the driver's set -e); any other type goes to stderr and returns 2.
msg()
{
    local type="$1" label stream=2 status=0
    shift
    case "$type" in
        info) label='INFO:' stream=1 ;;
        debug) label='DEBUG:' ;;
        warning) label='WARNING [!]:' ;;
        error) label='ERROR [!!]:' status=1 ;;
        *) label='UNKNOWN [?!]:' status=2 ;;
    esac
    if [ "$stream" -eq 1 ]; then
        printf '[%s] => %s %s\n' "$(date)" "$label" "$*"
    else
        printf '[%s] => %s %s\n' "$(date)" "$label" "$*" >&2
    fi
    return "$status"
}

# is_true <variable name>: true when the variable's value is 1, true, yes or y (any case).
is_true()
{
    local value
    case "$1" in
        '' | [0-9]* | *[!A-Za-z0-9_]*) return 1 ;;
    esac
    value="${!1:-}"
    case "${value,,}" in
        1 | true | yes | y) return 0 ;;
    esac
    return 1
}

# default_service_help: the usage, then ONE_SERVICE_PARAMS (4-tuples name, stage, description, hint) listed
# under their stage; a name whose hint is not empty is marked "*" (offered to the user as a USER_INPUT).
default_service_help()
{
    local command index mark
    echo 'USAGE:'
    for command in help install configure bootstrap; do
        echo " $(basename "$0") ${command}"
        case "$command" in
            help) echo '  Prints this help' ;;
            install) echo '  Installs service' ;;
            configure) echo '  Configures service via contextualization or defaults' ;;
            bootstrap) echo '  Bootstraps service via contextualization' ;;
        esac
        for ((index = 0; index + 3 < ${#ONE_SERVICE_PARAMS[@]}; index += 4)); do
            [ "${ONE_SERVICE_PARAMS[index + 1]}" = "$command" ] || continue
            mark='    '
            [ -z "${ONE_SERVICE_PARAMS[index + 3]}" ] || mark='  * '
            printf '%s%-25s - %s\n' "$mark" "${ONE_SERVICE_PARAMS[index]}" "${ONE_SERVICE_PARAMS[index + 2]}"
        done
        echo
    done
    echo 'Note: (*) variables are provided to the user via USER_INPUTS'
}

# create_one_service_metadata: a small YAML file at ONE_SERVICE_METADATA from the appliance's ONE_SERVICE_*.
create_one_service_metadata()
{
    local line
    {
        echo '---'
        printf 'name: "%s"\n' "${ONE_SERVICE_NAME:-}"
        printf 'version: "%s"\n' "${ONE_SERVICE_VERSION:-}"
        printf 'build: %s\n' "${ONE_SERVICE_BUILD:-}"
        printf 'short_description: "%s"\n' "${ONE_SERVICE_SHORT_DESCRIPTION:-}"
        echo 'description: |'
        while IFS= read -r line; do
            if [ -n "$line" ]; then echo "  ${line}"; else echo; fi
        done <<<"${ONE_SERVICE_DESCRIPTION:-}"
    } >"$ONE_SERVICE_METADATA"
}
