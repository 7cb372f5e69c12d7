# Sourced by the benchmark scripts: a throwaway PostgreSQL (fsync and
# synchronous_commit on) in a temporary directory.
#
#   postgres_start DIR   initdb and start in DIR; sets pg_port and pg_psql
#   postgres_stop DIR    stop it (safe to call when it never started)
#   postgres_create NAME a database on it

postgres_bin() {
    local pg_bin=${PG_BIN:-}
    if [ -z "$pg_bin" ]; then
        if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
            pg_bin=$(dirname "$(command -v pg_ctl)")
        else
            pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
        fi
    fi
    if [ ! -x "$pg_bin/initdb" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
        echo "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL or set PG_BIN." >&2
        return 1
    fi
    echo "$pg_bin"
}

pg_as=()
pg_started=false

postgres_start() {
    local dir=$1
    pg_bin=$(postgres_bin)
    pg_psql="$pg_bin/psql"
    [ -x "$pg_psql" ] || pg_psql=psql
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root.
        chown postgres: "$dir"
        pg_as=(setpriv --reuid=postgres --regid=postgres --init-groups)
    fi
    pg_port=
    for candidate in $(seq 54320 54999); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            pg_port=$candidate
            break
        fi
    done
    [ -n "$pg_port" ] || { echo "no free port for PostgreSQL" >&2; return 1; }
    "${pg_as[@]}" "$pg_bin/initdb" --auth=trust --username=postgres --encoding=UTF8 \
        -D "$dir/data" >"$dir/initdb.log"
    pg_started=true
    # Each node holds up to 16 pooled connections and one listening.
    "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=300" \
        start >/dev/null
}

postgres_stop() {
    if $pg_started; then
        "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

postgres_create() {
    "$pg_psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE $1"
}
