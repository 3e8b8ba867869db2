#!/usr/bin/env bash
# A throwaway local PostgreSQL for tests: installs Debian's package when missing,
# runs a cluster under $AID_DATA_DIR/postgres on 127.0.0.1:${AID_PG_PORT:-15432}.
# The default port sits below 32768, outside the range Linux hands out to client connections
# (32768-60999), so no connection of another program can be holding it.
# Usage: infra/postgres.sh start|stop|url
# AID_PG_STATEMENTS=1 starts the server with pg_stat_statements loaded, to see what each
# statement of a benchmark costs (CREATE EXTENSION pg_stat_statements, then read the view).
set -euo pipefail
DATA_DIR=$(realpath -m "${AID_DATA_DIR:-var}")
PGDATA="$DATA_DIR/postgres"
PORT="${AID_PG_PORT:-15432}"
URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
STATEMENTS=""
if [ "${AID_PG_STATEMENTS:-0}" = 1 ]; then
  STATEMENTS=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
fi

bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

# True when a server could not listen on 127.0.0.1:$1: something listens there, or a client
# connection uses it as its local port (bound as PostgreSQL binds, with SO_REUSEADDR).
port_taken() {
  python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$1"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    BIN=$(bin_dir)
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
      echo "$URL"  # a server already answers on this port (another checkout's): use it
      exit 0
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1 && port_taken "$PORT"; then
      echo "infra/postgres.sh: 127.0.0.1:$PORT is already in use by another process, and no" \
        "PostgreSQL answers there; free it or choose another port (below 32768) with AID_PG_PORT" >&2
      exit 1
    fi
    mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDATA" && chmod 700 "$PGDATA"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      as_owner "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300$STATEMENTS" start >/dev/null
    fi
    echo "$URL"
    ;;
  stop)
    BIN=$(bin_dir)
    [ -f "$PGDATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
