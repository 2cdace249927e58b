#!/usr/bin/env bash
# Make sure Postgres (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer. The machine's own are
# used when they are there; otherwise project-local ones are started with data under var/
# (Postgres as the non-root user `postgres`, as it requires). What is started is recorded in
# var/started-services, and `scripts/services.sh stop` stops it by PID.
. "$(dirname "$0")/lib.sh"

start_postgres() {
  apt_install postgresql
  local bindir; bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local data="$VAR/pg"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising project-local Postgres in $data"
    mkdir -p "$data"; chown postgres:postgres "$data"; chmod 700 "$data"
    runuser -u postgres -- "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  mkdir -p "$VAR/pg-run"; chown postgres:postgres "$VAR/pg-run"
  say "starting Postgres on 127.0.0.1:5432"
  runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -l "$VAR/pg.log" -w \
    -o "-h 127.0.0.1 -p 5432 -k $VAR/pg-run" start >/dev/null
  record_started postgres "$(head -1 "$data/postmaster.pid")"
}

start_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$VAR/redis"
  say "starting Redis on 127.0.0.1:6379"
  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir "$VAR/redis" \
    --daemonize yes --pidfile "$VAR/redis.pid" --logfile "$VAR/redis.log"
  for _ in $(seq 50); do [ -s "$VAR/redis.pid" ] && break; sleep 0.1; done
  record_started redis "$(cat "$VAR/redis.pid")"
}

case "${1:-up}" in
  up)
    port_open 127.0.0.1 5432 || start_postgres
    port_open 127.0.0.1 6379 || start_redis
    for _ in $(seq 50); do port_open 127.0.0.1 5432 && port_open 127.0.0.1 6379 && exit 0; sleep 0.2; done
    echo "Postgres or Redis did not come up" >&2; exit 1 ;;
  stop) stop_started ;;
esac
