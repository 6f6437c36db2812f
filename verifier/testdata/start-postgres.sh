#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the verifier's
# shared-store tests, from the distribution's packages (Debian: apt-get
# install postgresql; binaries under /usr/lib/postgresql/<ver>/bin).
#
#   start-postgres.sh [DIR]     start a server with its data in DIR (default:
#                               a new temp dir); print its DSN on stdout
#                               (set ZKCRED_PG_DSN to it); logs on stderr
#   start-postgres.sh --stop DIR   stop the server started in DIR
#
# Trust authentication, 127.0.0.1 only, a free port in 55432..55531, socket
# in DIR. As root it runs the server as the "postgres" system user (created
# by the package), since PostgreSQL refuses to run as root.
set -euo pipefail

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/bin /usr/local/bin; do
	if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir="$d"; break; fi
done
if [ -z "$bindir" ]; then
	echo "start-postgres: initdb/pg_ctl not found (install the postgresql package)" >&2
	exit 1
fi

as_user=()
if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		echo "start-postgres: running as root and no postgres user" >&2
		exit 1
	fi
	if command -v runuser >/dev/null 2>&1; then
		as_user=(runuser -u postgres --)
	else
		as_user=(su postgres -s /bin/sh -c '"$0" "$@"' --)
	fi
fi

if [ "${1:-}" = "--stop" ]; then
	dir="${2:?usage: start-postgres.sh --stop DIR}"
	"${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2
	exit 0
fi

dir="${1:-}"
if [ -z "$dir" ]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/zkcred-pg.XXXXXX")"; fi
mkdir -p "$dir"
if [ "$(id -u)" -eq 0 ]; then
	chown postgres "$dir"
	chmod 0700 "$dir"
	if ! "${as_user[@]}" test -w "$dir"; then
		echo "start-postgres: $dir is not reachable by the postgres user (use a dir under /tmp)" >&2
		exit 1
	fi
fi

"${as_user[@]}" "$bindir/initdb" -D "$dir/data" -U zkcred --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || {
	cat "$dir/initdb.log" >&2
	exit 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $(seq 55432 55531); do
	port_free "$port" || continue
	if "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >&2; then
		echo "start-postgres: server in $dir (stop: $0 --stop $dir)" >&2
		echo "postgres://zkcred@127.0.0.1:$port/postgres?sslmode=disable"
		exit 0
	fi
	tail -n 5 "$dir/server.log" >&2 || true
done
echo "start-postgres: could not start the server" >&2
exit 1
