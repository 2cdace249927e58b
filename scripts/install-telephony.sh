#!/usr/bin/env bash
# Kamailio 5.6, rtpengine 10.5 (userspace) and SIPp from Debian's packages.
. "$(dirname "$0")/lib.sh"
apt_install kamailio kamailio-python3-modules kamailio-websocket-modules kamailio-extra-modules \
  kamailio-utils-modules kamailio-json-modules kamailio-redis-modules kamailio-tls-modules \
  kamailio-postgres-modules rtpengine-daemon rtpengine-utils sip-tester
