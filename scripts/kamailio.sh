#!/usr/bin/env bash
# Run the Kamailio edge in the foreground for `make run`: render its config from the
# environment (app/edge/kamailio.py) and exec Kamailio on it.
#
# Environment (defaults in brackets; see KamailioConfig in app/edge/kamailio.py for all):
#   FASTLINE_KAMAILIO_LISTEN_IP     address to listen on                 [127.0.0.1]
#   FASTLINE_KAMAILIO_SIP_PORT      SIP over UDP and TCP                 [5060]
#   FASTLINE_KAMAILIO_TLS_PORT      SIP over TLS (0 = off)               [5061]
#   FASTLINE_KAMAILIO_WS_PORT       SIP over WebSocket (0 = off)         [8080]
#   FASTLINE_KAMAILIO_WSS_PORT      SIP over secure WebSocket (0 = off)  [8443]
#   FASTLINE_KAMAILIO_CALLCONTROL   callcontrol nodes, host:port,...     [127.0.0.1:5070]
#   FASTLINE_KAMAILIO_DB_URL        postgres:// URL as fastline_kamailio [the app's database]
#   FASTLINE_KAMAILIO_RUN_DIR       config, pid, sockets, dev cert       [./var/kamailio]
#   FASTLINE_KAMAILIO_TLS_CERT/_KEY certificate and key                  [dev self-signed]
#   FASTLINE_KAMAILIO_LOG_LEVEL     -3..3 (1 notice, 2 info, 3 debug)    [1]
set -euo pipefail

cd "$(dirname "$0")/.."
if ! command -v kamailio >/dev/null 2>&1; then
  echo "kamailio not found: scripts/install-telephony.sh (kamailio, kamailio-postgres-modules," \
       "kamailio-websocket-modules, kamailio-tls-modules)" >&2
  exit 1
fi
python="${PYTHON:-.venv/bin/python}"
[[ -x "$python" ]] || python=python3
export FASTLINE_KAMAILIO_RUN_DIR="${FASTLINE_KAMAILIO_RUN_DIR:-$PWD/var/kamailio}"
echo "kamailio: rendering $FASTLINE_KAMAILIO_RUN_DIR/kamailio.cfg; softphones register to" \
     "<extension>@<tenant>.sip.fastline.local via ${FASTLINE_KAMAILIO_LISTEN_IP:-127.0.0.1}:${FASTLINE_KAMAILIO_SIP_PORT:-5060}" >&2
exec "$python" -m app.edge.kamailio "$@"
