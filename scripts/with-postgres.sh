#!/usr/bin/env bash
# scripts/with-postgres.sh CMD...: run CMD against a throwaway PostgreSQL cluster.
#
# The cluster lives in a temp dir, listens on a unix socket there only (no TCP port), runs as
# an unprivileged user (the server refuses root: as root we use `postgres`, creating it if
# need be) and is stopped and removed however CMD ends. CMD sees DATABASE_URL naming the
# cluster's database `lab`, whose user may create databases (pytest-django's test_lab).
# Where PostgreSQL cannot be started, says why and exits 0 without running CMD. As root on
# Debian, installs the `postgresql` package when no server binaries are found.
set -uo pipefail

skip() {
  echo "PostgreSQL tests skipped: $*"
  exit 0
}

[ "$#" -gt 0 ] || { echo "usage: $0 CMD..." >&2; exit 2; }

find_bindir() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

bindir="$(find_bindir)"
if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's postgresql for the database tests..."
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1
  bindir="$(find_bindir)"
fi
[ -n "$bindir" ] || skip "no PostgreSQL server binaries (initdb, pg_ctl) found"

as_user=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres >/dev/null 2>&1 \
      || skip "running as root and could not create an unprivileged 'postgres' user"
  fi
  command -v runuser >/dev/null 2>&1 || skip "running as root without runuser"
  as_user=(runuser -u postgres --)
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/lab-pg.XXXXXX")" || skip "cannot make a temp dir"
cleanup() {
  if [ -f "$workdir/data/postmaster.pid" ]; then
    "${as_user[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate -w stop >/dev/null 2>&1
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] && chown postgres "$workdir"

if ! "${as_user[@]}" "$bindir/initdb" -D "$workdir/data" -U lab --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$workdir/initdb.log" 2>&1; then
  skip "initdb failed: $(tail -n 3 "$workdir/initdb.log" | tr '\n' ' ')"
fi
if ! "${as_user[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $workdir -c fsync=off -c full_page_writes=off \
        -c synchronous_commit=off -c max_connections=200" start >/dev/null 2>&1; then
  skip "the server did not start: $(tail -n 3 "$workdir/server.log" | tr '\n' ' ')"
fi
"${as_user[@]}" "$bindir/createdb" -h "$workdir" -U lab lab \
  || skip "could not create the database 'lab'"

# The socket directory as the URL's host, percent-encoded (postgres://user@%2Fpath/db).
export DATABASE_URL="postgres://lab@${workdir//\//%2F}/lab"
echo "PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') at $workdir (DATABASE_URL set)"
"$@"
