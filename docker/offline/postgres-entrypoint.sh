#!/bin/sh
# The start of the postgres:16 stand-in (postgres.Dockerfile): on an empty
# data folder, makes the cluster with POSTGRES_USER (default postgres) and
# POSTGRES_PASSWORD, and the database POSTGRES_DB (default: the user's name),
# as the official image does; then runs PostgreSQL as the postgres user, as
# PID 1's replacement (exec), listening on every address.
set -eu
if [ "${1:-postgres}" != postgres ]; then
	exec "$@"
fi
shift
user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}
as_postgres() { setpriv --reuid postgres --regid postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
		echo "postgres stand-in: error: set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
		exit 1
	fi
	password_file=$(mktemp)
	printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$password_file"
	chown postgres "$password_file"
	as_postgres initdb --username="$user" --pwfile="$password_file" --auth-local=trust \
		--auth-host="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >/dev/null
	rm -f "$password_file"
	echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
	if [ "$database" != postgres ]; then
		# Only the socket, for the database to be made before anyone can log in.
		as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
		as_postgres psql -q -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres \
			-c "CREATE DATABASE \"$database\""
		as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	fi
	echo "postgres stand-in: made the cluster: user $user, database $database"
fi
exec setpriv --reuid postgres --regid postgres --init-groups postgres -c listen_addresses='*' "$@"
