#!/bin/sh
# Run by the postgres image once, when the database volume is first made (docker-compose.yml, db):
# the role the web app, worker and beat connect as. It can log in and nothing more until `migrate`
# (as POSTGRES_USER, the owner) grants it the tables: read and write, but only read and append the
# audit log. README.md, "Database roles".
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE offenderhub_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
SQL
