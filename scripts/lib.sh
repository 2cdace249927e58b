# Shared helpers for the set-up scripts. Source it: . scripts/lib.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
mkdir -p "$VAR"
STARTED="$VAR/started-services"   # "name pid" lines of servers these scripts started

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing() {  # print the packages of "$@" that are not installed
  local p; for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"; done
}

apt_install() {
  local missing; missing=$(apt_missing "$@")
  [ -z "$missing" ] && return 0
  say "installing: $missing"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && exec 3>&- 3<&-; }

record_started() { echo "$1 $2" >> "$STARTED"; }

stop_started() {  # stop, by PID, every server these scripts started (newest first)
  [ -f "$STARTED" ] || return 0
  tac "$STARTED" | while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then say "stopping $name (pid $pid)"; kill "$pid" 2>/dev/null || true; fi
  done
  rm -f "$STARTED"
}
