#!/usr/bin/env bash
# test_coord_flow.sh -- runs the real certfleet-coordinator on a fresh database of the test stack, then the flow test
# against it: test_coord_flow.sh COORDINATOR TEST_BINARY CERTFLEETCTL (with the stack's env file sourced).
set -euo pipefail

coord=${1:?coordinator binary}
test_bin=${2:?test binary}
ctl=${3:?certfleetctl binary}
: "${CERTFLEET_PG:?}" "${CERTFLEET_PORT_BASE:?}" "${KAFKA_BOOTSTRAP:?}" "${REDIS_URL:?}"

work=$(mktemp -d)
dbname=certfleet_coordtest_$(openssl rand -hex 4)
admin_pg=$CERTFLEET_PG
pid=
fails=0

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	psql -q "$admin_pg" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

check() {	# check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		fails=$((fails + 1))
	fi
}

psql -q "$admin_pg" -c "CREATE DATABASE $dbname" >/dev/null
export CERTFLEET_PG=${admin_pg%/*}/$dbname
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
export CERTFLEET_ACME_CONTACT=mailto:ops@example.com

# A missing or malformed master key: refuse to start, saying why.
refuses() {	# refuses VALUE WORDS
	local out rc=0
	out=$(CERTFLEET_MASTER_KEY=$1 timeout 20 "$coord" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] && echo "$out" | grep -q "$2"
}
check "refuses to start without CERTFLEET_MASTER_KEY" refuses "" "CERTFLEET_MASTER_KEY is not set"
check "refuses a short master key" refuses abcd "64 hex"
check "refuses a master key that is not hex" refuses "$(printf 'z%.0s' $(seq 64))" "not hex"
check "refuses a bad open-only master key, naming the variable" bash -c "out=\$(CERTFLEET_MASTER_KEYS_OPEN_ONLY=abcd timeout 20 '$coord' 2>&1); [ \$? -ne 0 ] && echo \"\$out\" | grep -q 'CERTFLEET_MASTER_KEYS_OPEN_ONLY: open-only master key 1 must be 64 hex' && ! echo \"\$out\" | grep -q abcd"
check "refuses the master key as an open-only key" bash -c "out=\$(CERTFLEET_MASTER_KEYS_OPEN_ONLY=\$CERTFLEET_MASTER_KEY timeout 20 '$coord' 2>&1); [ \$? -ne 0 ] && echo \"\$out\" | grep -q 'the master key itself'"
check "--help documents every variable" bash -c "'$coord' --help | grep -q CERTFLEET_WORKER_TOKEN && '$coord' --help | grep -q CERTFLEET_MASTER_KEYS_OPEN_ONLY && '$coord' --help | grep -q CERTFLEET_RETRY_BACKOFF"
nmig=$(find "$(dirname "$0")/../../coordinator/store/migrations" -name '[0-9]*_*.sql' | wc -l)
check "migrate applies every migration on a fresh database" bash -c "'$coord' migrate | grep -q '^$nmig migration'"
check "migrate again applies nothing" bash -c "'$coord' migrate | grep -q '0 migration'"

"$coord" run >"$work/coordinator.log" 2>&1 &
pid=$!
up=0
for _ in $(seq 100); do
	if curl -s -o /dev/null "$CERTFLEET_API/v1/certificates"; then
		up=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
check "the coordinator serves its API on $CERTFLEET_API_LISTEN" test "$up" = 1

if [ "$up" = 1 ]; then
	check "the flow test passes" "$test_bin"
	# certfleetctl against the same coordinator
	check "certfleetctl enroll prints an id" bash -c "'$ctl' enroll ctl-\$(openssl rand -hex 3).example.com > '$work/ctl.id'"
	check "certfleetctl show prints it" bash -c "'$ctl' show \$(cat '$work/ctl.id') | grep -q 'status       pending'"
	check "certfleetctl list lists it" bash -c "'$ctl' list | grep -q \$(cat '$work/ctl.id')"
	check "certfleetctl prints the API's message for a bad name" bash -c "'$ctl' enroll 'x y.example.com' 2>&1 | grep -q 'has a character not allowed'"
	check "certfleetctl exits 1 on a bad name" bash -c "'$ctl' enroll 'x y.example.com' 2>/dev/null; test \$? = 1"
	check "certfleetctl enroll --wait times out with exit 3" bash -c "'$ctl' enroll --wait --timeout 1 w-\$(openssl rand -hex 3).example.com >/dev/null 2>&1; test \$? = 3"
	# retry: only a failed certificate; the rest is refused with a reason
	status_of() {	# status_of METHOD PATH [BODY]
		curl -s -o "$work/reply" -w '%{http_code}' -X "$1" \
			-H @"$CERTFLEET_AUTH_HEADER_FILE" ${3:+--data "$3"} \
			"$CERTFLEET_API$2"
	}
	export -f status_of
	export work
	check "retry of a pending certificate is a 409 that says why" bash -c "[ \$(status_of POST /v1/certificates/\$(cat '$work/ctl.id')/retry) = 409 ] && grep -q 'has not failed' '$work/reply'"
	check "retry of an unknown certificate is a 404" test "$(status_of POST /v1/certificates/00000000-0000-4000-8000-000000000000/retry)" = 404
	check "bulk retry refuses an unknown filter" bash -c "[ \$(status_of POST /v1/certificates:retry '{\"tenant\": \"x\"}') = 400 ] && grep -q 'not a filter' '$work/reply'"
	check "bulk retry by CA answers how many it took" bash -c "[ \$(status_of POST /v1/certificates:retry '{\"ca\": \"no-such-ca\"}') = 202 ] && grep -q '\"retried\": *0' '$work/reply'"
	check "certfleetctl retry prints the API's refusal" bash -c "'$ctl' retry \$(cat '$work/ctl.id') 2>&1 | grep -q 'has not failed'"
	# --json: one JSON document on stdout for every command, errors too
	id=$(cat "$work/ctl.id")
	jsonok() {	# jsonok JQ_FILTER CMD...: stdout is JSON and the filter holds (whatever the exit code)
		local filter=$1
		shift
		{ "$@" 2>/dev/null || true; } | jq -e "$filter" >/dev/null
	}
	check "--json enroll answers the new certificate" jsonok '.id and .status == "pending"' "$ctl" --json enroll "js-$(openssl rand -hex 3).example.com"
	check "--json show" jsonok ".id == \"$id\" and .status == \"pending\"" "$ctl" show --json "$id"
	check "--json list" jsonok '.certificates | length >= 2' "$ctl" --json list
	check "--json account list" jsonok '.accounts | length >= 1' "$ctl" --json account list
	check "--json renew of a pending certificate is an error object" jsonok '.error and .exit == 1' "$ctl" --json renew "$id"
	check "--json retry of a pending certificate is an error object" jsonok '.error | test("has not failed")' "$ctl" --json retry "$id"
	check "--json revoke of a pending certificate is an error object" jsonok '.error' "$ctl" --json revoke "$id"
	check "--json retry --all counts" jsonok '.retried == 0' "$ctl" --json retry --all --ca no-such-ca
	check "--json doctor lists every service" jsonok 'length == 4 and all(.[]; has("service") and has("ok"))' "$ctl" --json doctor
	check "--json version" jsonok '.version | length > 0' "$ctl" --json version
	check "--json enroll --wait that times out is an error object with exit 3" jsonok '.exit == 3' "$ctl" --json enroll --wait --timeout 1 "jw-$(openssl rand -hex 3).example.com"
	# tenants: labels, filters, quotas refused with the quota named
	tput() { curl -s -o "$work/reply" -w '%{http_code}' -X PUT -H @"$CERTFLEET_AUTH_HEADER_FILE" --data "$2" "$CERTFLEET_API/v1/tenants/$1"; }
	t=t$(openssl rand -hex 3)
	check "a tenant's quotas are set" test "$(tput "$t" '{"max_live": 2, "max_orders_per_hour": null}')" = 200
	check "  ... a bad quota is refused" test "$(tput "$t" '{"max_live": -1}')" = 400
	check "enroll --tenant --label makes a certificate of the tenant" \
		bash -c "'$ctl' enroll --tenant $t --label plan=pro --label region=eu a-$t.example.com > '$work/t1.id'"
	check "  ... shown with its tenant and labels" jsonok ".tenant == \"$t\" and .labels.plan == \"pro\"" "$ctl" --json show "$(cat "$work/t1.id")"
	"$ctl" enroll --tenant "$t" "b-$t.example.com" >/dev/null
	check "the tenant's third live certificate is refused, naming the quota" bash -c \
		"'$ctl' enroll --tenant $t c-$t.example.com 2>&1 | grep -q 'quota of 2 live certificates (max_live)'"
	check "list --tenant shows its two" jsonok '.certificates | length == 2' "$ctl" --json list --tenant "$t"
	check "list --label plan:pro shows the labelled one" jsonok ".certificates | length == 1 and .[0].id == \"$(cat "$work/t1.id")\"" "$ctl" --json list --label plan:pro
	check "tenant list counts its live certificates" jsonok ".tenants[] | select(.name == \"$t\") | .live == 2 and .max_live == 2" "$ctl" --json tenant list
	tput "$t" '{"max_live": null, "max_orders_per_hour": 2}' >/dev/null
	check "an orders-per-hour quota refuses the next enrollment, naming it" bash -c \
		"'$ctl' enroll --tenant $t d-$t.example.com 2>&1 | grep -q 'quota of 2 new orders per hour (max_orders_per_hour)'"
	check "enroll --wait shows its progress on stderr" bash -c "'$ctl' enroll --wait --timeout 2 wp-\$(openssl rand -hex 3).example.com 2>&1 >/dev/null | grep -q 'pending, order'"
fi

# A rotation of the master key (README, "Rotating the master key"): the
# coordinator restarted with a new key and the old one open-only seals every
# secret again under the new key; then the new key alone opens them all, and
# the old key alone opens none.
sql() { psql -qAt "$CERTFLEET_PG" -c "$1"; }
# secrets of every sealed place under key id $1 ("=") or any other ("<>")
sealed() {
	sql "SELECT (SELECT count(*) FROM private_keys WHERE key_id $1 '$2')
		+ (SELECT count(*) FROM key_pool WHERE key_id $1 '$2')
		+ (SELECT count(*) FROM acme_accounts WHERE key_id $1 '$2')
		+ (SELECT count(*) FROM acme_accounts WHERE pending_key_id $1 '$2')
		+ (SELECT count(*) FROM acme_accounts WHERE eab_key_id $1 '$2')"
}
# stop: the coordinator stopped (SIGTERM)
stop() {
	kill -TERM "$pid" && wait "$pid" || true
}
# start KEY [OPEN_ONLY]: the coordinator started again with KEY as the
# master key (and OPEN_ONLY's keys); waits for its API
start() {
	CERTFLEET_MASTER_KEY=$1 CERTFLEET_MASTER_KEYS_OPEN_ONLY=${2:-} \
		"$coord" run >>"$work/coordinator.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "$CERTFLEET_API/v1/certificates" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
# the id of the master key the coordinator logged last at its start
master_id() {
	grep -o 'coordinator up: CA [^ ]* at [^ ]*, master key [0-9a-f]\{16\}' "$work/coordinator.log" |
		tail -1 | awk '{ print $NF }'
}
# key_sum ID: sha256 of certificate ID's privkey.pem as the API serves it
key_sum() {
	curl -sf -H @"$CERTFLEET_AUTH_HEADER_FILE" "$CERTFLEET_API/v1/certificates/$1/privkey.pem" |
		sha256sum | cut -d' ' -f1
}
if [ "$up" = 1 ] && kill -0 "$pid" 2>/dev/null; then
	old_key=$CERTFLEET_MASTER_KEY
	new_key=$(openssl rand -hex 32)
	old_id=$(master_id)
	cert=$(sql "SELECT certificate FROM issued_certificates ORDER BY created_at LIMIT 1")
	sum_before=$(key_sum "$cert")
	check "before the rotation, the issued certificate's key is served" \
		test -n "$cert" -a "$sum_before" != "$(printf '' | sha256sum | cut -d' ' -f1)"
	stop
	before=$(sealed = "$old_id")
	check "  ... and keys and accounts are sealed under the old key ($before)" test "$before" -ge 4
	check "restarted with a new master key and the old one open-only" start "$new_key" "$old_key"
	new_id=$(master_id)
	want="reseal: pass done: $before secret(s) sealed again under master key $new_id, 0 did not open; 0 left under other keys: the open-only keys can be removed"
	for _ in $(seq 100); do
		grep -qF "$want" "$work/coordinator.log" && break
		sleep 0.2
	done
	check "  ... the log says all $before were sealed again and none is left" grep -qF "$want" "$work/coordinator.log"
	check "  ... none is left under the old key" test "$(sealed '<>' "$new_id")" = 0
	check "  ... the key served is the same" test "$(key_sum "$cert")" = "$sum_before"
	stop
	check "restarted with the new master key alone" start "$new_key"
	check "  ... the key served is the same" test "$(key_sum "$cert")" = "$sum_before"
	stop
	check "restarted with the old master key alone" start "$old_key"
	check "  ... the key is not served, and the log says which key it needs" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H @\"\$CERTFLEET_AUTH_HEADER_FILE\" '$CERTFLEET_API/v1/certificates/$cert/privkey.pem')\" = 500 ] && grep -q 'sealed under master key $new_id, but CERTFLEET_MASTER_KEY is $old_id' '$work/coordinator.log'"
fi

# SIGTERM: a clean exit (and, under ASan, no leak).
if kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	pid=
	check "SIGTERM stops the coordinator with status 0" test "$rc" = 0
else
	echo "FAIL - the coordinator died"
	fails=$((fails + 1))
fi
check "no private key in the coordinator's log" bash -c "! grep -q 'PRIVATE KEY' '$work/coordinator.log'"
if [ "$fails" -ne 0 ]; then
	echo "--- coordinator log (last 60 lines)"
	tail -60 "$work/coordinator.log"
fi
[ "$fails" -eq 0 ]
