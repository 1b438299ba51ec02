-- 0042_on_demand.sql -- on-demand issuance (ondemand/): tenants' allow-lists and limits, the asks from edges and their decisions.

-- An allow-list entry belongs to one tenant: "example.com" allows that name
-- and every name under it, "*.shops.example.net" one label under
-- shops.example.net. base is the entry without "*."; an entry is owned by
-- one tenant only, so the tenant of a name is that of the entry it matches.
CREATE TABLE on_demand_allow (
	entry		text PRIMARY KEY,
	tenant		text NOT NULL REFERENCES tenants (name) ON DELETE CASCADE,
	base		text NOT NULL,
	wildcard	boolean NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (entry = CASE WHEN wildcard THEN '*.' || base ELSE base END)
);
CREATE INDEX on_demand_allow_tenant ON on_demand_allow (tenant);
-- the entries at or under a registered domain: reverse(base) LIKE 'moc.elpmaxe.%'
CREATE INDEX on_demand_allow_rbase ON on_demand_allow (reverse(base) text_pattern_ops);

-- Per-tenant on-demand limits (NULL: none beyond the global ones).
ALTER TABLE tenants ADD COLUMN od_per_minute bigint CHECK (od_per_minute >= 0);
ALTER TABLE tenants ADD COLUMN od_max_pending bigint CHECK (od_max_pending >= 0);

-- One row per name an edge asked for. status:
--   asked     waiting for a decision (the on-demand thread takes it)
--   queued    allowed, waiting for room under the rate limits
--   enrolled  its certificate was enrolled and is still pending
--   done      its certificate left pending (issued or failed), or it had one
--   denied    refused until deny_until (reason says by what)
CREATE TABLE on_demand_asks (
	name		text PRIMARY KEY,
	status		text NOT NULL DEFAULT 'asked'
			CHECK (status IN ('asked', 'queued', 'enrolled', 'done', 'denied')),
	source		text NOT NULL CHECK (source IN ('edge', 'peter_sslers')),
	tenant		text,
	decision	text,		-- allowed, existing, denied_cache, denied_list, denied_webhook
	reason		text,		-- a sentence for operators
	certificate	text REFERENCES certificates (id),
	asks		bigint NOT NULL DEFAULT 1,
	limited		boolean NOT NULL DEFAULT false,	-- a limit held it once
	hook_ok		boolean,	-- the webhook's last answer
	hook_at		timestamptz,
	deny_until	timestamptz,
	retry_at	timestamptz,	-- a tenant quota held it: not before
	first_asked_at	timestamptz NOT NULL DEFAULT now(),
	last_asked_at	timestamptz NOT NULL DEFAULT now(),
	decided_at	timestamptz,
	enrolled_at	timestamptz
);
CREATE INDEX on_demand_asks_todo ON on_demand_asks (first_asked_at)
	WHERE status IN ('asked', 'queued');
CREATE INDEX on_demand_asks_enrolled ON on_demand_asks (tenant)
	WHERE status = 'enrolled';
CREATE INDEX on_demand_asks_minute ON on_demand_asks (enrolled_at, tenant)
	WHERE enrolled_at IS NOT NULL;
CREATE INDEX on_demand_asks_decided ON on_demand_asks (decided_at DESC)
	WHERE decided_at IS NOT NULL;
CREATE INDEX on_demand_asks_denied ON on_demand_asks (deny_until)
	WHERE status = 'denied';

-- The allow-lists' version (max(tenants.updated_at)) the refusals in Redis
-- were made under: a coordinator that (re)connects clears them only when a
-- policy changed meanwhile. One row.
CREATE TABLE on_demand_state (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	refusals_version text NOT NULL DEFAULT ''
);
INSERT INTO on_demand_state DEFAULT VALUES;
