-- enroll.lua -- wrk script of bench/api/run: POST /v1/certificates, a name set never enrolled before on every request.
-- wrk ... -s enroll.lua URL -- KEY_TYPE [RESPONSES_PER_THREAD]; reads CERTFLEET_TOKEN and BENCH_RUN (a tag that keeps
-- the names of two runs apart). Prints how many were created (201) and how many were not.
local threads = {}
local next_tid = 1

function setup(thread)
	thread:set("tid", next_tid)
	next_tid = next_tid + 1
	table.insert(threads, thread)
end

function init(args)
	keytype = args[1] or "ec-p256"
	limit = tonumber(args[2] or "0")
	run = os.getenv("BENCH_RUN") or tostring(os.time())
	n, responses, created, other = 0, 0, 0, 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Authorization"] = "Bearer " .. os.getenv("CERTFLEET_TOKEN")
end

function request()
	n = n + 1
	local body = string.format('{"hostnames": ["e%s-%d-%d.%s.bench.example.com"], "key_type": "%s"}',
		run, tid, n, keytype, keytype)
	return wrk.format(nil, "/v1/certificates", nil, body)
end

function response(status, headers, body)
	responses = responses + 1
	if status == 201 then
		created = created + 1
	else
		other = other + 1
	end
	if limit > 0 and responses >= limit then
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local c, o = 0, 0
	for _, t in ipairs(threads) do
		c = c + t:get("created")
		o = o + t:get("other")
	end
	io.write(string.format("enrolled: created %d, other %d\n", c, o))
end
