#!/usr/bin/env bash
# Install what Fastline needs on Debian 12 (run as root or with sudo): system packages that are
# missing, then the Python environment in .venv.
. "$(dirname "$0")/lib.sh"

apt_install python3 python3-venv python3-dev gcc make git curl ca-certificates \
  postgresql-client redis-tools

if [ ! -x "$ROOT/.venv/bin/python" ]; then
  say "creating .venv"
  python3 -m venv "$ROOT/.venv"
fi
"$ROOT/.venv/bin/python" -m pip install -q --upgrade pip uv
say "installing Python packages"
"$ROOT/.venv/bin/uv" pip install -q --python "$ROOT/.venv/bin/python" -e "$ROOT[dev,bench]"
