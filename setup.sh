#!/usr/bin/env bash
# Set up faasbench in ./.venv, then open the dashboard or run the tests.
#
#   ./setup.sh dashboard   set up (node, a Docker engine), build the benchmark programs, open
#                          the dashboard
#   ./setup.sh test        set up everything the tests need (Docker engine, Python 3.9 for the
#                          legacy wasmer path, tmux, node, sshd, and chromium where it is a
#                          Debian package), then run the suite
#   ./setup.sh lock        set up, then resolve requirements-lock.txt again from pyproject.toml
#   ./setup.sh             set up only
#
# Needs Python >= 3.9 (python3 is installed when missing). It installs missing Debian packages
# with apt-get and starts its own dockerd when none answers, stopping it at the end (both as
# root, or through sudo: .ci/dockerd.sh gives the user the engine's socket).
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

say() { echo "setup.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        say "installing Debian packages needs root: run this as root, or install sudo"; exit 2
    fi
}

apt_update() {  # once per run
    [ -n "${apt_updated:-}" ] && return 0
    as_root apt-get update -qq
    apt_updated=1
}

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]} from Debian"
    apt_update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_docker() {
    # The docker runtime's engine: the one that answers (left running: it may serve others
    # too), else our own, stopped at the end.
    local docker_host
    if ! docker_host=$(.ci/dockerd.sh running); then
        docker_host=$(.ci/dockerd.sh start)
        trap '.ci/dockerd.sh stop >/dev/null 2>&1 || true' EXIT
    fi
    export DOCKER_HOST=$docker_host
}

case "${1:-}" in
    ""|dashboard|test|lock) ;;
    *) say "unknown command '$1'; use: ./setup.sh [dashboard|test|lock]"; exit 2 ;;
esac

command -v python3 >/dev/null || apt_install python3  # a bare image (debian:12) has none
python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
    || { say "faasbench needs Python 3.9 or newer (python3 is $(python3 -V))"; exit 2; }
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    python3 -m venv .venv
fi
say "installing faasbench's locked dependencies into .venv (requirements-lock.txt)"
.venv/bin/python -m pip install -q --require-hashes -r requirements-lock.txt
# The build back end comes from the lock too, not from an unpinned build environment
# (setuptools' notice that an editable install is one is all it would print).
PYTHONWARNINGS="ignore:Editable installation" \
    .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
if [ "${1:-}" = lock ]; then
    # One lock for every Python faasbench supports (>= 3.9, so the legacy wasmer path too):
    # uv resolves all of them at once. Pins that still satisfy pyproject.toml are kept; extra
    # arguments go to uv (./setup.sh lock --upgrade takes the newest releases).
    shift
    build_requires=$(.venv/bin/python -c 'import sys
t = __import__("tomllib" if sys.version_info >= (3, 11) else "tomli")
print("\n".join(t.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))')
    echo "$build_requires" | .venv/bin/uv pip compile -q pyproject.toml - --extra test \
        --universal --python-version 3.9 --generate-hashes \
        --custom-compile-command "./setup.sh lock" -o requirements-lock.txt "$@"
    say "requirements-lock.txt resolved; commit it with pyproject.toml"
    exit 0
fi
say "building the benchmark programs (the first build compiles zig's libc, about 25 s)"
.venv/bin/faasbench build >/dev/null

case "${1:-}" in
    dashboard)
        apt_install nodejs
        start_docker
        .venv/bin/faasbench tui
        ;;
    test)
        # debian-archive-keyring: .ci/python39.sh fetches Debian's python3.9 (also on Ubuntu).
        apt_install tmux hyperfine nodejs debootstrap openssh-server debian-archive-keyring
        # Ubuntu has chromium only as a snap, which needs snapd: there the browser test skips.
        if ! grep -qx 'ID=ubuntu' /etc/os-release 2>/dev/null; then
            # A machine whose package lists were never fetched knows no chromium yet.
            dpkg -s chromium >/dev/null 2>&1 || apt-cache show chromium >/dev/null 2>&1 \
                || apt_update
            if apt-cache show chromium >/dev/null 2>&1; then apt_install chromium; fi
        fi
        start_docker
        py39=$(.ci/python39.sh "$here/.venv39")
        say "ruff check, lint-imports (the layering contracts in pyproject.toml)"
        .venv/bin/ruff check .
        .venv/bin/lint-imports --no-cache
        say "tests under $(.venv/bin/python -V) (Docker engine: $DOCKER_HOST)"
        .venv/bin/python -m pytest -q -p no:cacheprovider tests
        say "wasmer tests under $("$py39" -V) (legacy wasmer + Cranelift)"
        "$py39" -m pytest -q -p no:cacheprovider tests/test_wasmer.py tests/test_faults.py -k wasmer
        ;;
    "")
        say "ready: .venv/bin/faasbench (try: .venv/bin/faasbench doctor)"
        ;;
esac
