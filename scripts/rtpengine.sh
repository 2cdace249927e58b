#!/usr/bin/env bash
# Run rtpengine 10.5 (userspace) in the foreground for `make run`, on loopback by default.
#
# Environment (defaults in brackets):
#   FASTLINE_RTPENGINE_NG          ng control address                 [127.0.0.1:2223]
#   FASTLINE_RTPENGINE_INTERFACE   media interface (address or name/address!advertised) [127.0.0.1]
#   FASTLINE_RTPENGINE_PORTS       RTP port range min-max             [30000-30999]
#   FASTLINE_RTPENGINE_DTMF        where DTMF JSON reports go (callcontrol's DtmfListener)
#                                                                      [127.0.0.1:2225]
#   FASTLINE_RTPENGINE_DIR         state folder: pidfile, recordings/  [./var/rtpengine]
#   FASTLINE_RTPENGINE_CLI         CLI address ("" to disable)        [127.0.0.1:9900]
#   FASTLINE_RTPENGINE_LOG_LEVEL   syslog level 0-7                   [6]
set -euo pipefail

ng="${FASTLINE_RTPENGINE_NG:-127.0.0.1:2223}"
interface="${FASTLINE_RTPENGINE_INTERFACE:-127.0.0.1}"
ports="${FASTLINE_RTPENGINE_PORTS:-30000-30999}"
dtmf="${FASTLINE_RTPENGINE_DTMF:-127.0.0.1:2225}"
dir="${FASTLINE_RTPENGINE_DIR:-./var/rtpengine}"
cli="${FASTLINE_RTPENGINE_CLI:-127.0.0.1:9900}"
log_level="${FASTLINE_RTPENGINE_LOG_LEVEL:-6}"

if ! command -v rtpengine >/dev/null 2>&1; then
  echo "rtpengine not found: apt-get install rtpengine-daemon" >&2
  exit 1
fi
port_min="${ports%-*}"
port_max="${ports#*-}"
mkdir -p "$dir/recordings"
dir="$(cd "$dir" && pwd)"

args=(
  # Debian's default config sets table=0 (kernel module) and proc recording; neither works
  # without the kernel module, so ignore it entirely.
  --config-file=none
  --table=-1
  --interface="$interface"
  --listen-ng="$ng"
  --port-min="$port_min"
  --port-max="$port_max"
  --foreground
  --log-stderr
  --log-level="$log_level"
  --pidfile="$dir/rtpengine.pid"
  --recording-dir="$dir/recordings"
  --recording-method=pcap
  --dtmf-log-dest="$dtmf"
  --delete-delay=0
)
if [[ -n "$cli" ]]; then
  args+=(--listen-cli="$cli")
fi

echo "rtpengine: ng on $ng, media on $interface ports $ports, DTMF to $dtmf, recordings in $dir/recordings" >&2
exec rtpengine "${args[@]}" "$@"
