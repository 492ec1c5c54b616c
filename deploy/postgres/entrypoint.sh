#!/usr/bin/env bash
# The entrypoint of rosteron-postgres:local (deploy/postgres/Dockerfile).
#
# On first start (an empty $PGDATA) it
#   - makes a CA and a server certificate for the name `postgres` (and
#     $POSTGRES_TLS_NAMES, more DNS names separated by commas) with
#     openssl, keeps the server's key in $PGDATA, puts the CA's
#     certificate, and only it, in $CA_DIR (a volume the replicas mount
#     read-only: sslmode=verify-full&sslrootcert=$CA_DIR/ca.crt), and
#     destroys the CA's key, so that no other certificate is ever signed
#     by it;
#   - runs initdb, then, on a server listening only on a private socket,
#     makes the role and database rosteron with the password read by the
#     server itself from the secret file (never argv, never env).
# Then it runs the server: TLS only over TCP (hostssl, scram-sha-256), on
# every address of the container, and peer authentication on its socket
# for `docker exec` as postgres (psql, pg_dump, pg_isready).
set -euo pipefail

PGDATA=${PGDATA:-/var/lib/postgresql/data/cluster}
CA_DIR=${CA_DIR:-/var/lib/postgresql/ca}
SECRET=${POSTGRES_PASSWORD_FILE:-/run/secrets/rosteron_database_password}
DB=rosteron
say() { printf 'rosteron-postgres: %s\n' "$*" >&2; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    [ -r "$SECRET" ] && [ -s "$SECRET" ] || {
        say "no database password in $SECRET: give the Docker secret rosteron_database_password (a file readable by uid $(id -u))"
        exit 1
    }
    say "first start: making the cluster in $PGDATA"
    rm -rf "$PGDATA"
    install -d -m 0700 "$PGDATA"
    initdb --pgdata="$PGDATA" --username=postgres --auth-local=peer --auth-host=reject \
        --encoding=UTF8 --locale=C.UTF-8 --data-checksums >/dev/null

    # TLS: a CA of this cluster's own, a certificate for `postgres`.
    tls=$PGDATA/tls
    install -d -m 0700 "$tls"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    names="DNS:postgres"
    IFS=, read -ra extra <<<"${POSTGRES_TLS_NAMES:-}"
    for n in "${extra[@]}"; do [ -n "$n" ] && names+=",DNS:$n"; done
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/CN=rosteron postgres CA $(date -u +%Y%m%dT%H%M%SZ)" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=postgres" \
        -keyout "$tls/server.key" -out "$work/server.csr" 2>/dev/null
    printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
        "$names" >"$work/ext"
    openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
        -days 3650 -extfile "$work/ext" -out "$tls/server.crt" 2>/dev/null
    chmod 0600 "$tls/server.key"
    cp "$work/ca.crt" "$tls/ca.crt"
    rm -rf "$work"
    trap - EXIT

    cat >>"$PGDATA/postgresql.conf" <<END

# rosteron-postgres
listen_addresses = '*'
unix_socket_directories = '/run/postgresql'
ssl = on
ssl_cert_file = '$tls/server.crt'
ssl_key_file = '$tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
max_connections = 200
END
    cat >"$PGDATA/pg_hba.conf" <<END
# TYPE     DATABASE  USER      ADDRESS   METHOD
local      all       postgres            peer
hostssl    $DB       rosteron  all       scram-sha-256
hostnossl  all       all       all       reject
END

    # The role and its database, on a server no one else reaches: a
    # socket in a private folder, no TCP, so the health check fails
    # until this is done.
    init_sock=$(mktemp -d)
    pg_ctl --pgdata="$PGDATA" --wait --silent \
        -o "-c listen_addresses= -c unix_socket_directories=$init_sock" start >/dev/null
    # The server reads the secret (pg_read_file): the password is on no
    # command line and in no environment. Its first line, as
    # --database-password-file reads it.
    psql -v ON_ERROR_STOP=1 -X -q -h "$init_sock" -U postgres -d postgres >/dev/null <<END
SELECT format('CREATE ROLE rosteron LOGIN PASSWORD %L',
              rtrim(split_part(pg_read_file('$SECRET'), E'\n', 1), E'\r'))
\gexec
CREATE DATABASE $DB OWNER rosteron;
REVOKE ALL ON DATABASE $DB FROM PUBLIC;
END
    pg_ctl --pgdata="$PGDATA" --wait --silent stop >/dev/null
    rmdir "$init_sock"
    say "made the role and database $DB"
fi

# The CA's certificate for the replicas, on every start, so that a new
# CA volume gets it again.
if [ -s "$PGDATA/tls/ca.crt" ]; then
    cp "$PGDATA/tls/ca.crt" "$CA_DIR/ca.crt.new" && chmod 0644 "$CA_DIR/ca.crt.new" && mv "$CA_DIR/ca.crt.new" "$CA_DIR/ca.crt"
fi
exec postgres -D "$PGDATA"
