#!/usr/bin/env bash
# test_responder.sh -- integration test of certfleet-responder: two instances on the stack's Redis, then one on a dead Redis.
# Usage: test_responder.sh PATH/TO/certfleet-responder
# Run by ctest through with-env (REDIS_URL, CERTFLEET_PORT_BASE, CERTFLEET_STATE
# come from the stack's env file). Ports: base+10 and base+11 for the two
# responders, base+17 for the one whose Redis (base+18) does not exist.
set -euo pipefail

bin=${1:?usage: test_responder.sh PATH/TO/certfleet-responder}
base=${CERTFLEET_PORT_BASE:?}
redis=${REDIS_URL:?}
db=${CERTFLEET_REDIS_CHALLENGE_DB:-0}
logdir=${CERTFLEET_STATE:?}/logs
ports=($((base + 10)) $((base + 11)))
dead_port=$((base + 17)) dead_redis=$((base + 18))
prefix=/.well-known/acme-challenge
tok=test-responder_$RANDOM$RANDOM
keyauth="$tok.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
pids=()
fails=0

fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}

ok() {
	echo "ok   - $*"
}

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	redis-cli -u "$redis" -n "$db" del "certfleet:http01:$tok" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# start PORT REDIS_URL: run a responder in the background, wait for its port
start() {
	local port=$1 url=$2 i
	"$bin" --listen "127.0.0.1:$port" --redis "$url" --threads 2 \
		--redis-timeout 500 >>"$logdir/test-responder-$port.log" 2>&1 &
	pids+=($!)
	for ((i = 0; i < 100; i++)); do
		[[ -n $(ss -ltnH "sport = :$port") ]] && return 0
		sleep 0.1
	done
	echo "responder on $port did not start; log:"
	tail -n 20 "$logdir/test-responder-$port.log"
	exit 1
}

# expect DESC STATUS [BODY] -- CURL-ARGS...: one request, checks status
# (and the exact body when BODY is not "-")
expect() {
	local desc=$1 status=$2 body=$3 got out
	shift 4
	out=$(mktemp)
	got=$(curl -sS -o "$out" -w '%{http_code} %{content_type}' -m 10 "$@") || got="curl-failed"
	if [[ ${got%% *} != "$status" ]]; then
		fail "$desc: status ${got%% *}, expected $status"
	elif [[ $body != - && $(cat "$out") != "$body" ]]; then
		fail "$desc: body '$(head -c 200 "$out")', expected '$body'"
	elif [[ $status == 200 && $body != - && ${got#* } != text/plain* ]]; then
		fail "$desc: content type '${got#* }'"
	elif [[ $status == 200 && $body != - && $(wc -c <"$out") -ne ${#body} ]]; then
		fail "$desc: $(wc -c <"$out") bytes, expected exactly ${#body}"
	else
		ok "$desc"
	fi
	rm -f "$out"
}

for p in "${ports[@]}" "$dead_port" "$dead_redis"; do
	if [[ -n $(ss -ltnH "sport = :$p") ]]; then
		echo "port $p is already in use"
		exit 1
	fi
done
start "${ports[0]}" "$redis"
start "${ports[1]}" "$redis"

redis-cli -u "$redis" -n "$db" set "certfleet:http01:$tok" "$keyauth" EX 300 >/dev/null

for port in "${ports[@]}"; do
	u=http://127.0.0.1:$port
	for i in 1 2 3; do
		expect "$port: key authorization, read $i (not consumed)" 200 "$keyauth" -- "$u$prefix/$tok"
	done
	expect "$port: HEAD on the token" 200 - -- -I "$u$prefix/$tok"
	expect "$port: unknown token" 404 - -- "$u$prefix/unknown-$tok"
	expect "$port: query string ignored" 200 "$keyauth" -- "$u$prefix/$tok?x=1"
	expect "$port: %2e%2e" 400 - -- --path-as-is "$u$prefix/%2e%2e"
	expect "$port: ..%2f traversal" 400 - -- --path-as-is "$u$prefix/..%2f..%2fetc%2fpasswd"
	expect "$port: a/b" 400 - -- --path-as-is "$u$prefix/a/b"
	expect "$port: 'a b' (encoded space)" 400 - -- "$u$prefix/a%20b"
	expect "$port: empty token" 400 - -- "$u$prefix/"
	expect "$port: 300-character token" 400 - -- "$u$prefix/$(printf 'A%.0s' $(seq 300))"
	expect "$port: POST" 405 - -- -X POST -d x "$u$prefix/$tok"
	expect "$port: PUT" 405 - -- -X PUT -d x "$u$prefix/$tok"
	expect "$port: GET with a body" 400 - -- -X GET --data-binary x "$u$prefix/$tok"
	expect "$port: other path" 404 - -- "$u/index.html"
	expect "$port: /healthz" 200 "ok" -- "$u/healthz"
	expect "$port: 5000-byte path" 414 - -- "$u/$(printf 'a%.0s' $(seq 5000))"
	expect "$port: 20 KiB header" 431 - -- -H "X-Big: $(printf 'b%.0s' $(seq 20000))" "$u/healthz"
done

# keep-alive: two requests on one connection
n=$(curl -sS -v "http://127.0.0.1:${ports[0]}$prefix/$tok" "http://127.0.0.1:${ports[0]}$prefix/$tok" 2>&1 |
	grep -c 'Re-using existing connection\|Connection #0 to host .* left intact' || true)
if ((n >= 2)); then ok "keep-alive: the connection is reused"; else fail "keep-alive: connection not reused"; fi

# the key is still there after all those reads
if [[ $(redis-cli -u "$redis" -n "$db" get "certfleet:http01:$tok") == "$keyauth" ]]; then
	ok "the key survives every read"
else
	fail "the key was removed or changed by a read"
fi

# a TTL that runs out: 404 once the key and the responder's cached copy
# (--cache-ms, default 1000) are both gone
tok2=$tok-ttl
redis-cli -u "$redis" -n "$db" set "certfleet:http01:$tok2" "$tok2.x" PX 500 >/dev/null
expect "short-lived key authorization" 200 "$tok2.x" -- "http://127.0.0.1:${ports[1]}$prefix/$tok2"
sleep 1.5
expect "expired key authorization" 404 - -- "http://127.0.0.1:${ports[1]}$prefix/$tok2"

# a responder whose Redis is not there: 503, no crash, answers again and again
start "$dead_port" "redis://127.0.0.1:$dead_redis"
u=http://127.0.0.1:$dead_port
expect "dead Redis: /healthz" 503 - -- "$u/healthz"
expect "dead Redis: lookup" 503 - -- "$u$prefix/$tok"
expect "dead Redis: lookup again (reconnect attempt, no crash)" 503 - -- "$u$prefix/$tok"
expect "dead Redis: malformed token is still 400" 400 - -- "$u$prefix/a%2fb"

# clean shutdown on SIGTERM: exit status 0, nothing left listening
for i in "${!pids[@]}"; do
	kill -TERM "${pids[i]}"
	if wait "${pids[i]}"; then ok "responder ${pids[i]} exits 0 on SIGTERM"; else fail "responder ${pids[i]} exit status $? on SIGTERM"; fi
done
pids=()
for p in "${ports[@]}" "$dead_port"; do
	[[ -z $(ss -ltnH "sport = :$p") ]] || fail "port $p still listens after SIGTERM"
done
if grep -q "$keyauth" "$logdir"/test-responder-*.log; then
	fail "a log holds the key authorization"
else
	ok "no log holds the key authorization"
fi

echo "$fails failed"
[[ $fails -eq 0 ]]
