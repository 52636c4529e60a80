#!/bin/sh
# Runs a command on a pseudo-terminal (script) and types into it as its screen asks.
# Usage: on-terminal.sh <screen file> <command> [<condition> <bytes>]...
# Each condition is a shell test run until true (every 50 ms, at most 60 s); then the bytes
# (printf format) are typed. The terminal stays open until the command has ended.
screen=$1; command=$2; shift 2
done_file=$screen.done
rm -f "$done_file"; : >"$screen"
feed() {
    while [ $# -gt 1 ]; do
        tries=0
        until [ -e "$done_file" ] || sh -c "$1" sh "$screen"; do
            tries=$((tries + 1)); [ $tries -gt 1200 ] && { echo "on-terminal: gave up waiting for: $1" >&2; return 1; }
            sleep 0.05
        done
        [ -e "$done_file" ] && return 0
        printf "$2"
        shift 2
    done
    until [ -e "$done_file" ]; do sleep 0.05; done
}
feed "$@" | { script -qefc "$command" /dev/null >"$screen"; status=$?; touch "$done_file"; exit $status; }
