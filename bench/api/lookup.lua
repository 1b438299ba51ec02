-- lookup.lua -- wrk script of bench/api/run: GET /v1/hostnames/{name} of a random certificate of the generated fleet
-- (the names gen.sql makes for i in 1..N). wrk ... -s lookup.lua URL -- N; reads CERTFLEET_TOKEN.
local words = { "shop", "api", "mail", "app", "blog", "cdn", "portal", "store", "my", "dev", "status",
	"docs", "web", "admin", "pay", "m" }
local tlds = { ".com", ".net", ".org", ".io", ".de" }

-- the first name of certificate i, as gen.sql's pg_temp.host(i)
local function host(i)
	local prefix = ""
	if i % 20 == 0 then
		prefix = "shop."
	elseif i % 20 == 1 then
		prefix = "api."
	end
	local domain
	if i % 10 == 3 then
		domain = "customer.com"
	else
		domain = "d" .. (i % 50000) .. tlds[i % 5 + 1]
	end
	return prefix .. words[i % 16 + 1] .. "-" .. i .. "." .. domain
end

function setup(thread)
	thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
	count = tonumber(args[1] or "1000000")
	math.randomseed(seed)
	wrk.headers["Authorization"] = "Bearer " .. os.getenv("CERTFLEET_TOKEN")
end

function request()
	return wrk.format("GET", "/v1/hostnames/" .. host(math.random(1, count)))
end
