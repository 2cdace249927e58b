#!/usr/bin/env bash
# `make run`: servers, migrations, the demo tenant, then the app and a worker in the foreground.
# Ctrl-C stops everything this script started.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
FASTLINE="$ROOT/.venv/bin/fastline"
export FASTLINE_LOG_JSON="${FASTLINE_LOG_JSON:-0}"
"$ROOT/scripts/services.sh" up

children=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/scripts/services.sh" stop
}
trap cleanup INT TERM EXIT

"$FASTLINE" db bootstrap
"$FASTLINE" db upgrade
demo=$("$FASTLINE" demo)

"$FASTLINE" serve & children+=($!)
"$FASTLINE" worker & children+=($!)
# The telephony plane: media (rtpengine), the SIP edge (Kamailio), and the B2BUA (callcontrol).
"$ROOT/scripts/rtpengine.sh" & children+=($!)
"$ROOT/scripts/kamailio.sh" & children+=($!)
if [ -x "$ROOT/scripts/callcontrol.sh" ]; then "$ROOT/scripts/callcontrol.sh" & children+=($!); fi

port="${FASTLINE_PORT:-8000}"
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
cat <<MSG

  Fastline is up: http://127.0.0.1:$port   (API docs: http://127.0.0.1:$port/schema)
  $demo

  Sign in through the API:
    curl -s http://127.0.0.1:$port/api/v1/auth/login -H 'content-type: application/json' \\
      -d '{"tenant":"demo","email":"admin@demo.example","password":"Fastline-demo-2026"}'

  Seats: agent1 signs in to the seat console (http://127.0.0.1:$port/seat) with extension 1001;
  a SIP softphone registers as 1002 (password demo-sip-2026) at domain demo.sip.fastline.local
  through the proxy 127.0.0.1:5060 (UDP/TCP). Call the demo number +861080000000 from 1002,
  or as the demo carrier (127.0.0.2), from the repository:
    sipp -sf tests/integration/edge/scenarios/call_uac.xml -key domain 127.0.0.1 \\
      -key from_user carrier -i 127.0.0.2 -s +861080000000 127.0.0.1:5060 -m 1

  Ctrl-C stops everything.
MSG
wait
