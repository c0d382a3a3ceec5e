#!/bin/sh
# Start or stop a Docker engine for CI and tests.
#
#   .ci/dockerd.sh start   [DIR]  print the DOCKER_HOST to use (on stdout, nothing else)
#   .ci/dockerd.sh running [DIR]  print it only if an engine already answers (else exit 1)
#   .ci/dockerd.sh stop    [DIR]  stop the engine this script started in DIR
#
# Without DIR, an engine that already answers (`docker info`) is reused and nothing is started.
# With DIR (or when none answers), dockerd runs in the background with its own data root,
# exec root, pidfile and unix socket under DIR (default /tmp/faasbench-dockerd, for a user
# other than root /tmp/faasbench-dockerd-USER), so it never touches a system engine. docker.io
# comes from Debian when dockerd is missing. Logs: DIR/dockerd.log.
# A user other than root gets apt-get and dockerd through sudo; the socket then belongs to the
# user's primary group, so that user's docker commands and tests can reach the engine.
set -eu

cmd=${1:-}
dir=${2:-}
explicit=${dir:+yes}
# the socket of an engine root started is root's: another user starts (and stops) their own
[ "$(id -u)" = 0 ] || user_suffix=-$(id -un)
dir=${dir:-${TMPDIR:-/tmp}/faasbench-dockerd${user_suffix:-}}
sock="$dir/docker.sock"
host="unix://$sock"
PATH=$PATH:/usr/sbin:/sbin  # dockerd lives in /usr/sbin, which a user's PATH often lacks
log() { echo "dockerd.sh: $*" >&2; }

need_root() {  # sets $sudo, the prefix that runs a command as root, or refuses in one line
    if [ "$(id -u)" = 0 ]; then
        sudo="" group_opt=""
    elif command -v sudo >/dev/null 2>&1; then
        sudo=sudo group_opt="--group $(id -gn)"
        sudo true >&2  # a password is asked for here, not by the dockerd started in the background
    else
        log "starting or stopping dockerd needs root: run this as root, install sudo, or start" \
            "a Docker engine yourself and set DOCKER_HOST"
        exit 2
    fi
}

answers() { DOCKER_HOST="$1" docker info >/dev/null 2>&1; }

alive() {  # a process that runs (not gone, not a zombie)
    [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

running() {  # without DIR the engine docker itself uses, else (or then) DIR's
    if [ -z "$explicit" ] && docker info >/dev/null 2>&1; then
        echo "${DOCKER_HOST:-unix:///var/run/docker.sock}"
        return 0
    fi
    answers "$host" && echo "$host"
}

start() {
    running && return 0
    need_root
    if ! command -v dockerd >/dev/null 2>&1; then
        log "installing docker.io from Debian"
        $sudo apt-get update -qq >&2
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
    fi
    mkdir -p "$dir/data" "$dir/exec"
    # An engine that was killed (SIGKILL) leaves the pidfiles of dockerd and its containerd
    # (which dies with it); dockerd takes a pid that is a zombie nobody reaped yet for a live
    # process, and refuses to start, or waits for that containerd forever.
    for pidfile in "$dir/dockerd.pid" "$dir/exec/containerd/containerd.pid"; do
        if [ -f "$pidfile" ] && ! alive "$(cat "$pidfile")"; then $sudo rm -f "$pidfile"; fi
    done
    # No bridge and no iptables: benchmark containers run with --network none, and a second
    # engine must not fight the first over docker0. $sudo and $group_opt: empty for root.
    # shellcheck disable=SC2086
    nohup $sudo dockerd --data-root "$dir/data" --exec-root "$dir/exec" \
        --pidfile "$dir/dockerd.pid" --host "$host" $group_opt \
        --bridge none --iptables=false --ip-masq=false \
        >"$dir/dockerd.log" 2>&1 </dev/null &
    tries=0
    until answers "$host"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 120 ]; then
            log "dockerd did not answer on $host within 60 s; last log lines:"
            tail -n 20 "$dir/dockerd.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    echo "$host"
}

stop() {
    pidfile="$dir/dockerd.pid"
    [ -f "$pidfile" ] || { log "no engine started in $dir"; return 0; }
    pid=$(cat "$pidfile")
    need_root  # the engine and its pidfile belong to root
    $sudo kill "$pid" 2>/dev/null || true
    tries=0
    while [ -d "/proc/$pid" ]; do  # not kill -0: a user may not signal root's processes
        tries=$((tries + 1))
        if [ "$tries" -gt 60 ]; then $sudo kill -9 "$pid" 2>/dev/null || true; break; fi
        sleep 0.5
    done
    $sudo rm -f "$pidfile"
    # dockerd mounts its data root on itself and may leave it (and a killed one's container
    # layers) mounted: unmounted here, so the folder can be removed.
    if grep -q " $dir/data " /proc/mounts; then $sudo umount -R "$dir/data" 2>/dev/null || true; fi
}

case "$cmd" in
    start) start ;;
    running) running ;;
    stop) stop ;;
    *) echo "usage: $0 start|running|stop [DIR]" >&2; exit 2 ;;
esac
