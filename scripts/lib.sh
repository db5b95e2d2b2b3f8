# scripts/lib.sh - what the system-test and build scripts share; sourced, never run.
#
#   . "$(dirname "$0")/../lib.sh"     (from scripts/FOLDER/NAME)
#
# Counting checks:   t_ok WHAT, t_bad WHAT, t_check WHAT CMD..., t_summary LABEL
#                    (t_summary prints "LABEL: N passed, N failed"; returns 1 on a failure)
# Servers:           free_port, wait_http URL [CODE] [TRIES] [DELAY]
# valgrind:          VALGRIND_MEMCHECK, the memcheck flags every script uses
# Packages:          apt_install PKG...   (the one installer: Debian/Ubuntu, as root)
# shellcheck shell=bash

t_pass=0
t_fail=0

# Counts a passed check and says so.
t_ok() { echo "ok: $*"; t_pass=$((t_pass + 1)); }

# Counts a failed check and says so.
t_bad() { echo "FAIL: $*"; t_fail=$((t_fail + 1)); }

# Runs CMD...; counts it as passed when it exits 0.
t_check() {
    local what=$1
    shift
    if "$@"; then t_ok "$what"; else t_bad "$what"; fi
}

# Prints the closing "N passed, N failed" line; returns 1 when anything failed.
t_summary() {
    echo "$1: $t_pass passed, $t_fail failed"
    [ "$t_fail" -eq 0 ]
}

# Prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
        2>/dev/null || echo $((30000 + RANDOM % 20000))
}

# Polls URL until it answers CODE (default 200): TRIES times (100), DELAY s apart (0.05).
# Returns 0 once it does, 1 when it never did.
wait_http() {
    local url=$1 want=${2:-200} tries=${3:-100} delay=${4:-0.05} i
    for ((i = 0; i < tries; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = "$want" ] && return 0
        sleep "$delay"
    done
    return 1
}

# memcheck with children traced; every leak kind that matters is an error.
# shellcheck disable=SC2034,SC2054 # used by the scripts that source this file; commas are valgrind's
VALGRIND_MEMCHECK=(valgrind --quiet --trace-children=yes --leak-check=full
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible)

# Installs the Debian packages among PKG... that are not installed yet, without
# recommends.  As root with apt-get it installs them (running apt-get update
# once); otherwise it prints the command to run and returns 1.
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "missing packages: ${missing[*]}" >&2
        echo "install them with:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    if [ -z "${OTU_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        export OTU_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# apt_source PKG DIR: unpacks Debian's source package PKG into DIR (once; prints
# the tree's path).  A deb-src entry is made from the machine's own apt sources
# when none exists (as root), so no address is written here.  The newest
# version is tried first, then the older ones the sources list (a mirror may
# not serve the security archive's sources), saying so.
apt_source() {
    local pkg=$1 dir=$2 tree v
    mkdir -p "$dir"
    tree=$(find "$dir" -maxdepth 1 -type d -name "$pkg-*" | head -n 1)
    if [ -z "$tree" ]; then
        if ! apt-get source --print-uris "$pkg" 2>/dev/null | grep -q "'"; then
            [ "$(id -u)" -eq 0 ] || { echo "apt_source: adding a deb-src entry needs root" >&2; return 1; }
            if [ -f /etc/apt/sources.list.d/debian.sources ]; then
                sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
                    > /etc/apt/sources.list.d/otuserver-deb-src.sources
            elif [ -f /etc/apt/sources.list ]; then
                sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list \
                    > /etc/apt/sources.list.d/otuserver-deb-src.list
            fi
            apt-get update -q >/dev/null
        fi
        if ! (cd "$dir" && apt-get source -q --only-source "$pkg" >/dev/null 2>&1); then
            for v in $(apt-cache showsrc --only-source "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -urV); do
                if (cd "$dir" && apt-get source -q --only-source "$pkg=$v" >/dev/null 2>&1); then
                    echo "apt_source: the newest source of $pkg could not be fetched; using $v" >&2
                    break
                fi
            done
        fi
        tree=$(find "$dir" -maxdepth 1 -type d -name "$pkg-*" | head -n 1)
        [ -n "$tree" ] || { echo "apt_source: apt-get source $pkg failed" >&2; return 1; }
    fi
    echo "$tree"
}
