#!/bin/sh
# docker-entrypoint.sh of the locally built PostgreSQL image (tools.podman).
#
# The part of the official `postgres` image's entrypoint that testcontainers and the
# toolkit rely on, in POSIX sh: the same environment variables (POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, POSTGRES_INITDB_ARGS),
# the same /docker-entrypoint-initdb.d scripts, the same `postgres -c name=value`
# command line, and a server listening on every address (0.0.0.0:5432) once
# initialisation is over. Like the official image, the temporary server used for
# initialisation listens on the unix socket only, so a TCP client that gets an answer
# is talking to the final server.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# `docker run IMAGE -c fsync=off` means `postgres -c fsync=off`; any other command runs as is.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
	exec "$@"
fi
shift

# PostgreSQL refuses root: prepare the folders, then run this script again as postgres.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	chmod 2775 /var/run/postgresql
	HOME=/var/lib/postgresql exec setpriv --reuid=postgres --regid=postgres --init-groups \
		"$0" postgres "$@"
fi

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_PASSWORD:=}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
: "${POSTGRES_INITDB_ARGS:=}"

psql_admin() {
	psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set;" \
			"set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow" \
			"connections without a password" >&2
		exit 1
	fi
	pwfile=
	if [ -n "$POSTGRES_PASSWORD" ]; then
		pwfile=$(mktemp)
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
	fi
	# POSTGRES_INITDB_ARGS is split into words on purpose, as the official image does.
	# shellcheck disable=SC2086
	initdb --username="$POSTGRES_USER" ${pwfile:+"--pwfile=$pwfile"} $POSTGRES_INITDB_ARGS
	[ -z "$pwfile" ] || rm -f "$pwfile"
	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
	if [ "$POSTGRES_DB" != postgres ]; then
		psql_admin --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db";
		EOSQL
	fi
	for file in /docker-entrypoint-initdb.d/*; do
		case "$file" in
		*.sh)
			if [ -x "$file" ]; then
				echo "$0: running $file"
				"$file"
			else
				echo "$0: sourcing $file"
				# shellcheck disable=SC1090
				. "$file"
			fi
			;;
		*.sql)
			echo "$0: running $file"
			psql_admin --dbname "$POSTGRES_DB" -f "$file"
			;;
		*.sql.gz)
			echo "$0: running $file"
			gzip -dc "$file" | psql_admin --dbname "$POSTGRES_DB"
			;;
		*/\*) ;; # an empty folder
		*) echo "$0: ignoring $file" ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo
	echo "PostgreSQL init process complete; ready for start up."
	echo
fi

exec postgres "$@"
