-- certfleet_edge.lua -- the edge's certificates: by SNI from Redis (prime style 2), cached per name, dropped as soon as the primer announces a change.
--
-- Loaded by deploy/edge/nginx.conf.in:
--   init(conf)      init_by_lua: the Redis settings (see the table in nginx.conf.in)
--   init_worker()   init_worker_by_lua: worker 0 follows the change channel
--   serve()         ssl_certificate_by_lua: sets the certificate of the SNI
--
-- With conf.on_demand, an SNI that has no certificate is handed to
-- certfleet_ondemand.lua, which asks the coordinator for one without holding
-- the handshake; when Redis says that name's certificate is on its way, the
-- handshake waits up to conf.ask_wait_ms for it, looking every 50 ms.
--
-- Cache (lua_shared_dict certfleet_certs, shared by the workers), keyed by
-- the d2: name the entry came from (the SNI or "*.<parent>"):
--   c:<name>  certificate chain (DER)      k:<name>  private key (DER)
--   m:<name>  no certificate in Redis      gen       changes seen so far
-- Entries live conf.ttl seconds (misses conf.miss_ttl). One subscriber per
-- nginx (in worker 0) reads certfleet:certs:changed and deletes the three
-- entries of each announced name, so a renewal or revocation is served at
-- once instead of after the TTL. While that subscription is down the TTL
-- is the fallback; it reconnects with backoff and, once subscribed again,
-- empties the cache: changes announced meanwhile were not heard.
local ssl = require "ngx.ssl"
local redis = require "nginx.redis"
local ondemand = require "certfleet_ondemand"

local _M = {}

local CHANNEL = "certfleet:certs:changed"	-- REDISKEYS_CHANNEL_CHANGED
local WAIT_STEP = 0.05	-- seconds between looks while a certificate is on its way
local PING_EVERY = 15		-- seconds of silence before the subscriber pings
local BACKOFF_MAX = 10		-- seconds between resubscription attempts, at most

local conf
local client_cert, client_key	-- parsed lazily: cdata of ngx.ssl

local function read_file(path)
	local f, err = io.open(path, "rb")
	if not f then
		error("certfleet: cannot read " .. path .. ": " .. tostring(err))
	end
	local data = f:read("*a")
	f:close()
	return data
end

-- Settings, from nginx.conf: host, port, user, password, db, tls,
-- server_name, client_cert_file, client_key_file (read here, in the
-- master, before workers drop privileges), ttl, miss_ttl, timeout_ms; and
-- on_demand, ask_host, ask_port, ask_token, ask_timeout_ms, ask_wait_ms,
-- ask_again (certfleet_ondemand.lua).
function _M.init(c)
	conf = c
	if c.client_cert_file and c.client_cert_file ~= "" then
		conf.client_cert_pem = read_file(c.client_cert_file)
		conf.client_key_pem = read_file(c.client_key_file ~= "" and
			c.client_key_file or c.client_cert_file)
	end
end

local function tls_handshake(red)
	local sock = rawget(red, "_sock")
	local err
	if conf.client_cert_pem and not client_cert then
		client_cert, err = ssl.parse_pem_cert(conf.client_cert_pem)
		if not client_cert then
			return nil, "client certificate: " .. tostring(err)
		end
		client_key, err = ssl.parse_pem_priv_key(conf.client_key_pem)
		if not client_key then
			client_cert = nil
			return nil, "client key: " .. tostring(err)
		end
	end
	if client_cert then
		local ok, cerr = sock:setclientcert(client_cert, client_key)
		if not ok then
			return nil, "client certificate: " .. tostring(cerr)
		end
	end
	local sess, herr = sock:sslhandshake(nil, conf.server_name, true)
	if not sess then
		return nil, "tls: " .. tostring(herr)
	end
	return true
end

-- An authenticated connection with the prime db selected, fresh or from
-- the keepalive pool (which holds only connections set up here).
local function connect()
	local red = redis:new()
	red:set_timeout(conf.timeout_ms)	-- 0.27 has no set_timeouts
	local ok, err = red:connect(conf.host, conf.port)
	if not ok then
		return nil, "connect: " .. tostring(err)
	end
	if red:get_reused_times() > 0 then
		return red
	end
	if conf.tls then
		ok, err = tls_handshake(red)
		if not ok then
			red:close()
			return nil, err
		end
	end
	if conf.password ~= "" then
		if conf.user ~= "" then
			ok, err = red:auth(conf.user, conf.password)
		else
			ok, err = red:auth(conf.password)
		end
		if not ok then
			red:close()
			return nil, "auth: " .. tostring(err)
		end
	end
	ok, err = red:select(conf.db)
	if not ok then
		red:close()
		return nil, "select: " .. tostring(err)
	end
	return red
end

-- d2:<name> {f, p}: the PEM full chain and key, nil when absent, or nil,
-- nil, err.
local function fetch(name)
	local red, err = connect()
	if not red then
		return nil, nil, err
	end
	local res
	res, err = red:hmget("d2:" .. name, "f", "p")
	if not res then
		red:close()
		return nil, nil, "hmget: " .. tostring(err)
	end
	red:set_keepalive(10000, 16)
	if res[1] == ngx.null or res[2] == ngx.null then
		return nil
	end
	return res[1], res[2]
end

-- The DER certificate and key of d2:<name>, from the cache or Redis; nil
-- when Redis has none; nil, nil, err when Redis cannot be asked.
local function lookup(name)
	local cache = ngx.shared.certfleet_certs
	if cache:get("m:" .. name) then
		return nil
	end
	local cert, key = cache:get("c:" .. name), cache:get("k:" .. name)
	if cert and key then
		return cert, key
	end
	local gen = cache:get("gen")
	local f, p, err = fetch(name)
	if err then
		return nil, nil, err
	end
	local ttl, miss_ttl = conf.ttl, conf.miss_ttl
	if cache:get("gen") ~= gen then
		-- a change was announced while we read: what we read may be the
		-- copy it replaced, so keep it only a moment
		ttl, miss_ttl = 1, 1
	end
	if not f then
		cache:set("m:" .. name, true, miss_ttl)
		return nil
	end
	cert, err = ssl.cert_pem_to_der(f)
	if not cert then
		return nil, nil, "bad certificate in d2:" .. name .. ": " .. tostring(err)
	end
	key, err = ssl.priv_key_pem_to_der(p)
	if not key then
		return nil, nil, "bad key in d2:" .. name .. ": " .. tostring(err)
	end
	cache:set("c:" .. name, cert, ttl)
	cache:set("k:" .. name, key, ttl)
	return cert, key
end

-- The certificate of sni once it is primed, looking every WAIT_STEP for up
-- to conf.ask_wait_ms; nil when it did not come in time.
local function await(sni)
	local cache = ngx.shared.certfleet_certs
	local deadline = ngx.now() + conf.ask_wait_ms / 1000
	while true do
		ngx.sleep(WAIT_STEP)
		cache:delete("m:" .. sni)
		local cert, key, err = lookup(sni)
		if cert or err then
			return cert, key, err
		end
		ngx.update_time()
		if ngx.now() >= deadline then
			return nil
		end
	end
end

function _M.serve()
	local sni = ssl.server_name()
	if not sni then
		return	-- no SNI: the fallback certificate
	end
	sni = sni:lower()
	if #sni > 253 or not sni:match("^[a-z0-9.*_-]+$") then
		return
	end
	local cert, key, err = lookup(sni)
	if not cert and not err then
		local parent = sni:match("^[^.]+%.(.+)$")
		if parent then
			cert, key, err = lookup("*." .. parent)
		end
	end
	if not cert and not err and conf.on_demand and ondemand.miss(sni) and
		conf.ask_wait_ms > 0 then
		cert, key, err = await(sni)
	end
	if err then
		ngx.log(ngx.ERR, "certfleet: redis for ", sni, ": ", err)
		return
	end
	if not cert then
		return
	end
	local ok
	ok, err = ssl.clear_certs()
	if ok then
		ok, err = ssl.set_der_cert(cert)
	end
	if ok then
		ok, err = ssl.set_der_priv_key(key)
	end
	if not ok then
		ngx.log(ngx.ERR, "certfleet: cannot set certificate for ", sni, ": ", err)
		return ngx.exit(ngx.ERROR)
	end
end

-- A name was announced: its entries go, and readers racing with the
-- announcement keep what they read only briefly (see lookup).
local function forget(name)
	local cache = ngx.shared.certfleet_certs
	cache:incr("gen", 1, 0)
	cache:delete("c:" .. name)
	cache:delete("k:" .. name)
	cache:delete("m:" .. name)
end

-- Reads announcements until the link fails or nginx exits; returns why.
local function listen(red)
	local sock = rawget(red, "_sock")
	local quiet, pinged = 0, false
	red:set_timeout(1000)	-- a read timeout in subscribed state keeps the link
	while not ngx.worker.exiting() do
		local msg, err = red:read_reply()
		if msg then
			quiet, pinged = 0, false
			if msg[1] == "message" and msg[2] == CHANNEL and type(msg[3]) == "string" then
				forget(msg[3])
			end
		elseif err ~= "timeout" then
			return err
		else
			quiet = quiet + 1
			if pinged and quiet >= 2 * PING_EVERY then
				return "no answer to PING"
			end
			if not pinged and quiet >= PING_EVERY then
				-- its ["pong", ""] comes back in the read loop
				local ok, serr = sock:send("PING\r\n")
				if not ok then
					return serr
				end
				pinged = true
			end
		end
	end
	return "exiting"
end

local function subscribe_loop(premature)
	if premature then
		return
	end
	local backoff, lost = 0, false
	while not ngx.worker.exiting() do
		local red, err = connect()
		if red then
			local res
			res, err = red:subscribe(CHANNEL)
			if res then
				-- whatever was announced while not subscribed was missed
				ngx.shared.certfleet_certs:flush_all()
				ngx.log(lost and ngx.WARN or ngx.NOTICE, "certfleet: subscribed ",
					lost and "again " or "", "to ", CHANNEL)
				backoff, lost = 0, false
				err = listen(red)
			else
				err = "subscribe: " .. tostring(err)
			end
			red:close()
		end
		if ngx.worker.exiting() then
			return
		end
		lost = true
		backoff = math.min(backoff == 0 and 0.1 or backoff * 2, BACKOFF_MAX)
		ngx.log(ngx.WARN, "certfleet: subscription to ", CHANNEL, " lost (",
			tostring(err), "): cached certificates expire after ", conf.ttl,
			" s until it is back; retrying in ", backoff, " s")
		ngx.sleep(backoff * (0.5 + math.random() / 2))
	end
end

function _M.init_worker()
	ondemand.init(conf, connect)
	if ngx.worker.id() ~= 0 then
		return	-- the cache is shared: one subscriber per nginx
	end
	local ok, err = ngx.timer.at(0, subscribe_loop)
	if not ok then
		ngx.log(ngx.ERR, "certfleet: cannot start the subscriber: ", err)
	end
end

return _M
