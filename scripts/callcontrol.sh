#!/usr/bin/env bash
# Run callcontrol (the B2BUA) in the foreground for `make run`.
#
# Environment (defaults in brackets; see app/callcontrol/config.py):
#   FASTLINE_CALLCONTROL_SIP_HOST         SIP address, also put in Via/Contact   [127.0.0.1]
#   FASTLINE_CALLCONTROL_SIP_PORT         SIP port (UDP and TCP); Kamailio's dispatcher list
#                                         must name this host:port                [5070]
#   FASTLINE_CALLCONTROL_OUTBOUND_PROXY   Kamailio, where every INVITE we send goes [127.0.0.1:5060]
#   FASTLINE_CALLCONTROL_TRUSTED_PROXIES  sources whose X-Fastline-* headers count [127.0.0.1]
#   FASTLINE_RTPENGINE_NG / _DTMF / _DIR  as for scripts/rtpengine.sh
#   FASTLINE_CALLCONTROL_RECORD           1 = record every bridged call           [1]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Browser seats (extensions of seat type webrtc) get ICE/DTLS-SRTP media from rtpengine.
export FASTLINE_CALLCONTROL_WEBRTC_SEATS="${FASTLINE_CALLCONTROL_WEBRTC_SEATS:-1}"
exec "$ROOT/.venv/bin/python" -m app.cli callcontrol
