-- peter_sslers_reads.lua -- a test edge's certificate lookup that reads Redis exactly as lua-resty-peter_sslers 0.5.0 does (prime styles 1 and 2).
--
-- certfleet's own code, written from what that module is documented and seen
-- to do (README.md, "peter_sslers edges"), so that a handshake through it
-- proves the primer's keys serve such edges unchanged:
--   * the name looked up is the TLS SNI exactly as sent: no lower-casing, no
--     wildcard or parent lookup; no SNI means the server's own certificate;
--   * the Redis database is selected once per new connection (default 9);
--   * style 1: HMGET d1:<sni> c p i; any of the three missing is a miss;
--     then GET p:<p>, GET c:<c>, GET i:<i> in that order, any missing a miss;
--     the certificate served is the c: string, a newline, the i: string;
--   * style 2: HMGET d2:<sni> p f; either missing is a miss; f is served as
--     the certificate chain and p as the key;
--   * a miss leaves the server's default certificate in place.
-- Used by tests/integration/test_peter_sslers, from ssl_certificate_by_lua.
local ssl = require "ngx.ssl"
local redis = require "nginx.redis"	-- lua-nginx-redis: resty.redis 0.27

local M = { host = "127.0.0.1", port = 6379, db = 9 }

-- check: optional { host =, port =, password = }, the Redis the primer
-- writes (the stack's, with its administrator's password): the expire route
-- reads there what a name points at when it is called (see M.expire).
function M.configure(host, port, db, check)
	M.host, M.port, M.db, M.check = host, port, db, check
end

local function connection()
	local red = redis:new()
	red:set_timeout(1000)
	local ok, err = red:connect(M.host, M.port)
	if not ok then
		return nil, "connect: " .. tostring(err)
	end
	local times = red:get_reused_times()
	if times == nil or times <= 0 then
		red:select(M.db)
	end
	return red
end

local function missing(v)
	return v == nil or v == ngx.null
end

-- style 1: returns chain, key or nil
local function style1(red, sni)
	local d = red:hmget("d1:" .. sni, "c", "p", "i")
	if missing(d) or missing(d[1]) or missing(d[2]) or missing(d[3]) then
		return nil
	end
	local key = red:get("p:" .. d[2])
	if missing(key) then
		return nil
	end
	local cert = red:get("c:" .. d[1])
	if missing(cert) then
		return nil
	end
	local chain = red:get("i:" .. d[3])
	if missing(chain) then
		return nil
	end
	return cert .. "\n" .. chain, key
end

-- style 2: returns chain, key or nil
local function style2(red, sni)
	local d = red:hmget("d2:" .. sni, "p", "f")
	if missing(d) or missing(d[1]) or missing(d[2]) then
		return nil
	end
	return d[2], d[1]
end

-- Serves the certificate of the SNI from Redis in prime style 1 or 2.
function M.serve(style)
	local sni = ssl.server_name()
	if not sni then
		return
	end
	local red, err = connection()
	if not red then
		ngx.log(ngx.ERR, "peter_sslers_reads: redis: ", err)
		return
	end
	local chain, key
	if style == 1 then
		chain, key = style1(red, sni)
	else
		chain, key = style2(red, sni)
	end
	red:set_keepalive(10000, 100)
	if not chain then
		ngx.log(ngx.INFO, "peter_sslers_reads: miss for ", sni)
		return
	end
	local c, cerr = ssl.parse_pem_cert(chain)
	local k, kerr = ssl.parse_pem_priv_key(key)
	if not c or not k then
		ngx.log(ngx.ERR, "peter_sslers_reads: bad PEM for ", sni, ": ",
			tostring(cerr or kerr))
		return
	end
	ssl.clear_certs()
	local ok, serr = ssl.set_cert(c)
	if ok then
		ok, serr = ssl.set_priv_key(k)
	end
	if not ok then
		ngx.log(ngx.ERR, "peter_sslers_reads: cannot set ", sni, ": ", serr)
		return ngx.exit(ngx.ERROR)
	end
end

-- What d1:<name> points at (its c, the issued certificate) in the Redis
-- the primer writes, at the moment of the call: "seen=<id>", "seen=none"
-- when there is no d1:<name>, "seen=?" when it cannot be read.
local function seen(name)
	local ck = M.check
	if not ck then
		return "seen=?"
	end
	local red = redis:new()
	red:set_timeout(1000)
	local ok = red:connect(ck.host, ck.port)
	if ok and ck.password then
		ok = red:auth(ck.password)
	end
	if ok then
		ok = red:select(M.db)
	end
	local c = ok and red:hget("d1:" .. name, "c")
	red:close()
	if not ok or c == nil then
		return "seen=?"
	end
	return "seen=" .. (c == ngx.null and "none" or c)
end

-- The expire route as the module answers it: 200 {"result": "success",
-- ...} for <prefix>/all and <prefix>/domain/<name> (name of letters, digits,
-- '-' and '.'), else 404 {"result": "error", ...}. This edge keeps no cache;
-- the route records the calls (the access log of its location) and, for a
-- name, what Redis held for it when the call came ($expire_seen): a call
-- made before the primer wrote the change shows the old certificate.
function M.expire(prefix)
	ngx.header.content_type = "application/json"
	local uri = ngx.var.request_uri
	if uri == prefix .. "/all" then
		ngx.say('{"result": "success", "expired": "all"}')
		return
	end
	local name = uri:match("^" .. prefix:gsub("%p", "%%%0") .. "/domain/([%w.-]+)$")
	if name then
		ngx.var.expire_seen = seen(name)
		ngx.say('{"result": "success", "expired": "domain", "domain": "', name, '"}')
		return
	end
	ngx.status = 404
	ngx.say('{"result": "error", "expired": "None", "reason": "Unknown URI"}')
end

return M
