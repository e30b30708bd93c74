#!/usr/bin/env bash
# Starts the services the integration tests need, on loopback only:
#   redis-server   127.0.0.1:6379 (daemonized, no persistence)
#   PostgreSQL     whatever major version Debian ships (the newest under /usr/lib/postgresql/*, or
#                  PG_VERSION=<n>), 127.0.0.1:5432, role `parley` (password `parley`, CREATEDB so tests can
#                  make throwaway databases) owning database `parley`.
# A default port taken by something else (not the service we want) makes it use a free port instead
# (REDIS_PORT / PG_PORT choose them); the ports chosen are remembered in the state directory, so a second
# run finds the same services, and the export lines carry them.
# Usage:  eval "$(bash scripts/ci-services.sh)"
# Only the `export …` lines go to stdout; every other line goes to stderr. Idempotent: whatever is
# already installed, running or created is left as it is. Needs root (or passwordless sudo).
set -euo pipefail

# Keep stdout for the export lines only: fd 3 is the real stdout, everything else goes to stderr.
# Daemons started below get fd 3 closed (`3>&-`): a daemon that inherits it keeps the caller's
# `$(…)` pipe open forever, and `eval "$(bash scripts/ci-services.sh)"` never returns.
exec 3>&1 1>&2

readonly HOST=127.0.0.1
readonly WAIT_SECONDS=${CI_SERVICES_WAIT_SECONDS:-60}
readonly STATE_DIR=${CI_SERVICES_DIR:-${TMPDIR:-/tmp}/parley-ci-services}
readonly PG_FALLBACK_DIR="$STATE_DIR/pg"

log() { printf '[ci-services] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

as_postgres() {
  if [[ $(id -un) == postgres ]]; then "$@"
  elif [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"
  else sudo -n -u postgres -- "$@"; fi
}

# The newest PostgreSQL major installed (Debian's `postgresql` package pulls in its current one).
detect_pg_version() {
  local dir best=''
  for dir in /usr/lib/postgresql/*/bin/initdb; do
    [[ -x $dir ]] || continue
    dir=${dir#/usr/lib/postgresql/}; dir=${dir%%/*}
    if [[ -z $best ]] || ((dir > best)); then best=$dir; fi
  done
  printf '%s' "$best"
}

PG_VERSION=${PG_VERSION:-$(detect_pg_version)}
pg_bin() { printf '/usr/lib/postgresql/%s/bin/%s' "$PG_VERSION" "$1"; }

# ---------------------------------------------------------------- install
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null && [[ -n $PG_VERSION && -x $(pg_bin initdb) ]]; then
  log "redis-server and PostgreSQL $PG_VERSION already installed"
else
  log "installing postgresql and redis-server with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql redis-server
  PG_VERSION=${PG_VERSION:-$(detect_pg_version)}
  [[ -n $PG_VERSION && -x $(pg_bin initdb) ]] || die "no PostgreSQL binaries found under /usr/lib/postgresql/*/bin"
fi
readonly PG_VERSION
log "PostgreSQL major version: $PG_VERSION"
as_root mkdir -p "$STATE_DIR"

# ---------------------------------------------------------------- ports
port_in_use() { (: >"/dev/tcp/$HOST/$1") 2>/dev/null; }

free_port() {
  local port
  for ((port = $1; port < $1 + 200; port++)); do
    port_in_use "$port" || { printf '%s' "$port"; return 0; }
  done
  die "no free port in $1…$(($1 + 199))"
}

# The port a service uses: the one chosen on an earlier run (if the service answers there), else the
# requested or default one if it is free or already serves us, else a free one nearby.
pick_port() { # name default answers-fn
  local name=$1 default=$2 answers=$3 saved_file="$STATE_DIR/$1.port" saved
  if [[ -f $saved_file ]]; then
    saved=$(<"$saved_file")
    if "$answers" "$saved"; then printf '%s' "$saved"; return 0; fi
  fi
  if "$answers" "$default" || ! port_in_use "$default"; then printf '%s' "$default"; return 0; fi
  log "port $default is taken by something else than the $name we want: using a free port"
  free_port $((default + 1))
}

# ---------------------------------------------------------------- redis
redis_answers() { [[ $(redis-cli -h "$HOST" -p "$1" ping 2>/dev/null) == PONG ]]; }
REDIS_PORT=$(pick_port redis "${REDIS_PORT:-6379}" redis_answers)
[[ -n $REDIS_PORT ]] || die "no port for redis"
readonly REDIS_PORT
as_root sh -c "printf '%s' '$REDIS_PORT' >'$STATE_DIR/redis.port'"
redis_up() { redis_answers "$REDIS_PORT"; }

if redis_up; then
  log "redis already answering on $HOST:$REDIS_PORT"
else
  log "starting redis-server on $HOST:$REDIS_PORT"
  as_root redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize yes \
    --save '' --appendonly no --dir "$STATE_DIR" \
    --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" </dev/null 3>&-
fi

# ---------------------------------------------------------------- postgres
pg_answers() { "$(pg_bin pg_isready)" -q -h "$HOST" -p "$1"; }
PG_PORT=$(pick_port postgres "${PG_PORT:-5432}" pg_answers)
[[ -n $PG_PORT ]] || die "no port for PostgreSQL"
readonly PG_PORT
as_root sh -c "printf '%s' '$PG_PORT' >'$STATE_DIR/postgres.port'"
pg_up() { pg_answers "$PG_PORT"; }
PG_SOCKET_DIR=/var/run/postgresql
debian_cluster_port() {
  command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" {print $3}'
}

if pg_up; then
  log "PostgreSQL already accepting connections on $HOST:$PG_PORT"
  [[ -S $PG_FALLBACK_DIR/.s.PGSQL.$PG_PORT ]] && PG_SOCKET_DIR=$PG_FALLBACK_DIR
elif [[ $(debian_cluster_port) == "$PG_PORT" ]]; then
  log "starting Debian cluster $PG_VERSION/main"
  as_root pg_ctlcluster "$PG_VERSION" main start </dev/null 3>&-
else
  PG_SOCKET_DIR=$PG_FALLBACK_DIR
  as_root mkdir -p "$PG_FALLBACK_DIR"
  as_root chown postgres:postgres "$PG_FALLBACK_DIR"
  as_root chmod 700 "$PG_FALLBACK_DIR"
  if [[ ! -f $PG_FALLBACK_DIR/data/PG_VERSION ]]; then
    log "initdb in $PG_FALLBACK_DIR/data"
    as_postgres "$(pg_bin initdb)" -D "$PG_FALLBACK_DIR/data" -U postgres -E UTF8 \
      --auth-local=peer --auth-host=scram-sha-256 >&2
  fi
  log "starting PostgreSQL from $PG_FALLBACK_DIR/data"
  as_postgres "$(pg_bin pg_ctl)" -D "$PG_FALLBACK_DIR/data" -l "$PG_FALLBACK_DIR/postgres.log" -w -t "$WAIT_SECONDS" \
    -o "-c listen_addresses=$HOST -p $PG_PORT -c unix_socket_directories=$PG_FALLBACK_DIR" start >&2 </dev/null 3>&-
fi

# ---------------------------------------------------------------- wait (bounded)
deadline=$((SECONDS + WAIT_SECONDS))
until redis_up && pg_up; do
  if ((SECONDS >= deadline)); then
    redis_up || log "redis is not answering on $HOST:$REDIS_PORT"
    pg_up || log "PostgreSQL is not accepting connections on $HOST:$PG_PORT"
    die "services not ready after ${WAIT_SECONDS}s"
  fi
  sleep 0.5
done
log "redis and PostgreSQL are up"

# ---------------------------------------------------------------- role and database
psql_admin() {
  as_postgres "$(pg_bin psql)" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -qAt "$@"
}

psql_admin <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parley') THEN
    CREATE ROLE parley LOGIN CREATEDB PASSWORD 'parley';
  ELSE
    ALTER ROLE parley LOGIN CREATEDB PASSWORD 'parley';
  END IF;
END
$$;
SQL
if [[ $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'parley'") != 1 ]]; then
  log "creating database parley"
  psql_admin -c 'CREATE DATABASE parley OWNER parley'
fi

# Prove the URL the tests will use works (TCP + password auth).
PGPASSWORD=parley "$(pg_bin psql)" -h "$HOST" -p "$PG_PORT" -U parley -d parley -qAt -c 'SELECT 1' >/dev/null ||
  die "cannot log in as parley@$HOST:$PG_PORT/parley"
log "role and database parley ready"

printf 'export TEST_DATABASE_URL=postgres://parley:parley@%s:%s/parley\n' "$HOST" "$PG_PORT" >&3
printf 'export TEST_REDIS_URL=redis://%s:%s\n' "$HOST" "$REDIS_PORT" >&3
