#!/usr/bin/env bash
# docker-compose.yml against .env.example, as an operator would use them: `docker compose config`
# must refuse .env.example as it stands (its secrets are empty) and accept it once only those secrets
# are filled in. Needs `docker compose` or `docker-compose` (no Docker engine: `config` only reads
# files). Run from anywhere; works on copies in a temporary folder. Prints PASS or FAIL per check.
set -uo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "FAIL  neither 'docker compose' nor 'docker-compose' is installed"
  exit 1
fi
echo "Checking docker-compose.yml with $("${compose[@]}" version --short 2>/dev/null || echo "${compose[*]}")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp docker-compose.yml "$work/"
failed=0

check() {  # check NAME COMMAND...: PASS when the command succeeds
  local name=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    echo "PASS  $name"
  else
    echo "FAIL  $name"
    sed 's/^/    | /' "$work/out" | tail -n 15
    failed=1
  fi
}

# As shipped: the secrets are empty, so config must stop and say so.
cp .env.example "$work/.env"
refuses() {  # fails, naming a missing value ("set SECRET_KEY in .env"), not on anything else
  local said
  if said=$(cd "$work" && "${compose[@]}" config -q 2>&1); then return 1; fi
  echo "$said"
  grep -Eq 'set [A-Z_]+ in \.env' <<<"$said"
}
check "config refuses .env.example while its secrets are empty" refuses

# The documented secrets (the lines of .env.example left empty) filled in, nothing else changed.
while IFS= read -r line; do
  if [[ $line =~ ^([A-Z_][A-Z0-9_]*)=$ ]]; then
    echo "${BASH_REMATCH[1]}=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  else
    echo "$line"
  fi
done <.env.example >"$work/.env"
accepts() { (cd "$work" && "${compose[@]}" config -q); }
check "config accepts .env.example with only its secrets filled in" accepts

services() {
  local listed
  listed=$(cd "$work" && "${compose[@]}" config --services | sort | tr '\n' ' ')
  echo "services: $listed"
  [[ $listed == "beat db migrate redis web worker " ]]
}
check "the services are migrate, web, worker, beat, db and redis" services

exit "$failed"
