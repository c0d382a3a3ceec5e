#!/usr/bin/env bash
# A CPython 3.9 for the legacy wasmer path (wheels exist only for CPython <= 3.10), without
# touching the system: Debian bullseye's python3.9 packages are downloaded with an apt
# configuration of our own (sources list, lists dir, empty dpkg status) and unpacked with
# `dpkg-deb -x` into DEST/root; a venv in DEST/venv gets faasbench and wasmer 1.1.0 from
# requirements-lock.txt. (distutils and lib2to3 are separate packages there; setuptools needs
# distutils.)
# Python 3.9 also needs libffi7, libssl1.1 and libmpdec3, which Debian 12 no longer ships:
# they are unpacked too, and the venv's python is a wrapper that puts them on
# LD_LIBRARY_PATH (their sonames clash with nothing on the host).
#
# Usage: .ci/python39.sh DEST   (idempotent; prints the path of the venv's python)
set -euo pipefail

dest=$(realpath -m "${1:?usage: $0 DEST}")
repo=$(cd "$(dirname "$0")/.." && pwd)
root=$dest/root
aptdir=$dest/apt
venv=$dest/venv
libs=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
packages=(python3.9-minimal libpython3.9-minimal libpython3.9-stdlib python3-distutils python3-lib2to3
          libffi7 libssl1.1 libmpdec3)
uv=$repo/.venv/bin/uv  # from requirements-lock.txt, installed by setup.sh
[ -x "$uv" ] || { echo "python39.sh: $uv is missing: run ./setup.sh first" >&2; exit 1; }

log() { echo "python39.sh: $*" >&2; }

if [ ! -x "$root/usr/bin/python3.9" ]; then
  log "downloading Debian bullseye's python3.9 into $root"
  mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main" \
    > "$aptdir/sources.list"
  : > "$aptdir/status"
  apt_opts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
            -o "Dir::State::Lists=$aptdir/lists" -o "Dir::State::Status=$aptdir/status"
            -o "Dir::Cache=$aptdir/cache" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -o "APT::Get::List-Cleanup=0")
  apt-get -q "${apt_opts[@]}" update >&2
  (cd "$aptdir/debs" && apt-get -q "${apt_opts[@]}" download "${packages[@]}" >&2)
  rm -rf "$root.tmp" && mkdir -p "$root.tmp"
  for deb in "$aptdir"/debs/*.deb; do dpkg-deb -x "$deb" "$root.tmp"; done
  rm -rf "$root" && mv "$root.tmp" "$root"
fi

if [ ! -x "$venv/bin/python3.9" ]; then
  log "creating the venv $venv"
  rm -rf "$venv"
  LD_LIBRARY_PATH=$libs "$root/usr/bin/python3.9" -m venv --without-pip "$venv"
  LD_LIBRARY_PATH=$libs "$venv/bin/python3.9" -c 'import ssl, ctypes, decimal' \
    || { log "python3.9 cannot load its libraries"; exit 1; }
  # Every way in (python, pytest's shebang, a child started with sys.executable) must find
  # the bullseye libraries: the venv's python3.9 becomes a wrapper that sets LD_LIBRARY_PATH
  # and keeps argv[0], so Python still finds its venv (pyvenv.cfg) from it.
  rm "$venv/bin/python3.9"
  printf '#!/bin/bash\nLD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec -a "$0" "%s" "$@"\n' \
    "$libs" "$root/usr/bin/python3.9" > "$venv/bin/python3.9"
  chmod +x "$venv/bin/python3.9"
fi

# Always (cheap when up to date): the lock's Python 3.9 pins (the legacy wasmer, the test
# tools, the build back end), installed by the main venv's uv (the venv has no pip), then the
# checkout's faasbench.
"$uv" pip install -q --python "$venv/bin/python" --require-hashes -r "$repo/requirements-lock.txt" >&2
"$uv" pip install -q --python "$venv/bin/python" --no-deps --no-build-isolation -e "$repo" >&2
echo "$venv/bin/python"
