-- certfleet_ondemand.lua -- on-demand issuance at the edge: an SNI with no certificate is sent to the coordinator off the handshake, unless Redis says it was refused.
--
-- Used by certfleet_edge.lua when nginx.conf sets on_demand = true:
--   init(conf, connect)  init_by_lua: the settings; connect() gives a Redis
--                        connection to the prime db (certfleet_edge.lua's)
--   miss(sni)            ssl_certificate_by_lua, after d2:<sni> and
--                        d2:*.<parent> were both missing. Returns true when
--                        the name's certificate is on its way (the caller
--                        may wait conf.ask_wait_ms for it), else false.
--
-- A miss costs one MGET (the keys of negcache_keys() in
-- coordinator/ondemand/negcache.h, the contract in common/include/rediskeys.h):
--   deny1:<sni>, issuing:<sni>, deny:<suffix> for the suffixes of two labels
--   or more (the 8 shortest)
-- A refusal there (the coordinator wrote it) ends it: fallback certificate,
-- and the answer is kept conf.miss_ttl seconds in the shared dict. Else the
-- name is queued, once per conf.ask_again seconds across the workers, and a
-- timer of the worker (one at a time) sends the queue to the coordinator in
-- batches of up to 256 names: POST /edge/v1/on-demand, one name per line,
-- over a cosocket (a minimal HTTP/1.1 client: the status line is all it
-- reads). The handshake never waits for that request. If the coordinator
-- does not answer 202, the batch's names are forgotten (a later handshake
-- asks again) and no name is queued for DOWN_S seconds.
--
-- Shared dict certfleet_asks: "q" the queue (a list), "s:<name>" asked or
-- refused, "down" set while the coordinator is not answering.
local _M = {}

local DENY1 = "certfleet:ondemand:deny1:"	-- REDISKEYS_OD_DENY1_PREFIX
local ISSUING = "certfleet:ondemand:issuing:"	-- REDISKEYS_OD_ISSUING_PREFIX
local DENY = "certfleet:ondemand:deny:"		-- REDISKEYS_OD_DENY_PREFIX
local SUFFIXES = 8	-- REDISKEYS_OD_SUFFIXES
local BATCH = 256	-- EDGEASK_MAX_NAMES
local QUEUE_MAX = 20000	-- names waiting to be sent, at most
local DOWN_S = 5	-- pause after a failed ask

local conf, connect
local sending = false	-- this worker's sender timer runs

function _M.init(c, connect_fn)
	conf = c
	connect = connect_fn
end

-- The keys of one MGET, in negcache_keys() order.
local function keys(name)
	local ks, suf, p = { DENY1 .. name, ISSUING .. name }, {}, name
	while true do
		local dot = p:find(".", 1, true)
		if not dot then
			break
		end
		suf[#suf + 1] = p
		p = p:sub(dot + 1)
	end
	for i = #suf, 1, -1 do
		if #ks >= SUFFIXES + 2 then
			break
		end
		ks[#ks + 1] = DENY .. suf[i]
	end
	return ks
end

-- refused, issuing: what Redis says about name; nil, nil, err on failure.
local function negative(name)
	local red, err = connect()
	if not red then
		return nil, nil, err
	end
	local res
	res, err = red:mget(unpack(keys(name)))
	if not res then
		red:close()
		return nil, nil, "mget: " .. tostring(err)
	end
	red:set_keepalive(10000, 16)
	local refused = false
	for i = 1, #res do
		if i ~= 2 and res[i] ~= ngx.null then
			refused = true
		end
	end
	return refused, res[2] ~= ngx.null
end

-- One POST of names; returns the HTTP status, or nil, err.
local function post(names)
	local sock = ngx.socket.tcp()
	sock:settimeouts(conf.ask_timeout_ms, conf.ask_timeout_ms, conf.ask_timeout_ms)
	local ok, err = sock:connect(conf.ask_host, conf.ask_port)
	if not ok then
		return nil, "connect: " .. tostring(err)
	end
	local body = table.concat(names, "\n") .. "\n"
	local req = {
		"POST /edge/v1/on-demand HTTP/1.1\r\n",
		"Host: ", conf.ask_host, ":", conf.ask_port, "\r\n",
		"User-Agent: certfleet-edge\r\n",
		"Content-Type: text/plain\r\n",
		"Content-Length: ", #body, "\r\n",
		"Connection: close\r\n",
	}
	if conf.ask_token ~= "" then
		req[#req + 1] = "Authorization: Bearer " .. conf.ask_token .. "\r\n"
	end
	req[#req + 1] = "\r\n"
	req[#req + 1] = body
	ok, err = sock:send(req)
	if not ok then
		sock:close()
		return nil, "send: " .. tostring(err)
	end
	local line
	line, err = sock:receive("*l")
	sock:close()
	if not line then
		return nil, "receive: " .. tostring(err)
	end
	local status = tonumber(line:match("^HTTP/1%.[01] (%d%d%d) "))
	if not status then
		return nil, "not an HTTP answer"
	end
	return status
end

-- The sender: empties the queue, a batch at a time, then ends.
local function send_loop(premature)
	local asks = ngx.shared.certfleet_asks
	while not premature and not ngx.worker.exiting() do
		local names = {}
		while #names < BATCH do
			local name = asks:lpop("q")
			if not name then
				break
			end
			names[#names + 1] = name
		end
		if #names == 0 then
			break
		end
		local status, err = post(names)
		if status ~= 202 then
			for _, name in ipairs(names) do
				asks:delete("s:" .. name)
			end
			asks:set("down", true, DOWN_S)
			ngx.log(ngx.WARN, "certfleet: on-demand ask of ", #names,
				" name(s) to ", conf.ask_host, ":", conf.ask_port, " failed (",
				status and ("HTTP " .. status) or err, "); asking again in ",
				DOWN_S, " s")
			break
		end
	end
	sending = false
end

local function enqueue(name)
	local asks = ngx.shared.certfleet_asks
	if asks:get("down") then
		return
	end
	-- add is atomic across the workers: one of them queues the name
	if not asks:add("s:" .. name, "asked", conf.ask_again) then
		return
	end
	local len, err = asks:rpush("q", name)
	if not len or len > QUEUE_MAX then
		if len then
			asks:rpop("q")
		end
		asks:delete("s:" .. name)
		if err then
			ngx.log(ngx.WARN, "certfleet: on-demand queue: ", err)
		end
		return
	end
	if not sending then
		local ok
		ok, err = ngx.timer.at(0, send_loop)
		if ok then
			sending = true
		else
			ngx.log(ngx.WARN, "certfleet: cannot start the on-demand sender: ", err)
		end
	end
end

-- A name worth asking about: no wildcard, at least two labels.
local function askable(name)
	return #name <= 253 and name:find(".", 1, true) ~= nil and
		name:match("^[a-z0-9][a-z0-9.-]*[a-z0-9]$") ~= nil and
		not name:find("..", 1, true)
end

function _M.miss(sni)
	if not askable(sni) then
		return false
	end
	local asks = ngx.shared.certfleet_asks
	if asks:get("s:" .. sni) == "refused" then
		return false
	end
	local refused, issuing, err = negative(sni)
	if err then
		ngx.log(ngx.ERR, "certfleet: redis for ", sni, " (on-demand): ", err)
		return false
	end
	if refused then
		asks:set("s:" .. sni, "refused", conf.miss_ttl)
		return false
	end
	if issuing then
		return true
	end
	enqueue(sni)
	return false
end

return _M
