#!/usr/bin/env bash
# test_hostile_events.sh -- runs certfleet-coordinator on a fresh database of the test stack, then test_hostile_events
# against it (hostile bytes on the events topic, poison events, the sweeper): test_hostile_events.sh COORDINATOR TEST.
set -euo pipefail

coord=${1:?coordinator binary}
test_bin=${2:?test binary}
: "${CERTFLEET_PG:?run under tests/integration/with-env}" "${CERTFLEET_PORT_BASE:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)

work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

CERTFLEET_PG=$("$root/tests/integration/fresh-db" hostile)
export CERTFLEET_PG
export CERTFLEET_TOKEN=$(openssl rand -hex 32)
export CERTFLEET_WORKER_TOKEN=$(openssl rand -hex 32)
export CERTFLEET_MASTER_KEY=$(openssl rand -hex 32)
# this test's own secrets: not the stack's files (a variable wins over its
# _FILE, but an empty one would fall back to the file)
unset CERTFLEET_TOKEN_FILE CERTFLEET_WORKER_TOKEN_FILE CERTFLEET_MASTER_KEY_FILE
printf 'Authorization: Bearer %s\n' "$CERTFLEET_TOKEN" >"$work/admin.header"
export CERTFLEET_AUTH_HEADER_FILE=$work/admin.header
# the test's own CA is the one trust anchor (the test writes it: test_sign.h)
export CERTFLEET_CA_ROOTS_FILE=$work/roots.pem
: >"$CERTFLEET_CA_ROOTS_FILE"
export CERTFLEET_API_LISTEN=127.0.0.1:$((CERTFLEET_PORT_BASE + 12))
export CERTFLEET_API=http://$CERTFLEET_API_LISTEN
# the test ages the orders it wants swept; nothing else must be
export CERTFLEET_SWEEP_LEASE_S=600

# the test reads what the coordinator says of batches it applied one by one
export CERTFLEET_TEST_COORD_LOG=$work/coordinator.log
"$coord" run >"$work/coordinator.log" 2>&1 &
pid=$!
for _ in $(seq 150); do
	curl -s -o /dev/null "$CERTFLEET_API/v1/certificates" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
rc=0
"$test_bin" || rc=$?
echo "--- coordinator log: re-drives and dead letters"
grep -E 're-driven|dead-lettered|failed for good' "$work/coordinator.log" | cut -c1-300 || true
if [ "$rc" -ne 0 ]; then
	echo "--- coordinator log (last 60 lines)"
	tail -60 "$work/coordinator.log"
fi
kill -TERM "$pid"
wait "$pid" || rc=1
pid=
exit "$rc"
