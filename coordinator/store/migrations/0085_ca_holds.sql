-- 0085_ca_holds.sql -- what a CA's rate limit holds beyond the refused order: every order of the account, of a registered domain, of a name set or with a name, until the CA's Retry-After.

-- Written with the rate_limit_hits row when a rateLimited problem names its
-- limit (coordinator/results/ratescope.c); read by the relay, which holds the
-- issue orders in the scope instead of sending each to be refused
-- (coordinator/outbox/budget.c). key: 'a:' || account id, 'd:' || registered
-- domain, 's:' || hostname set id, 'n:' || name. One row per scope: a later
-- hit moves until forward, never back. A CA's rows whose until passed a day
-- ago are deleted when its next hold is written.
CREATE TABLE ca_holds (
	ca		text NOT NULL,
	key		text NOT NULL,
	until		timestamptz NOT NULL,
	detail		text NOT NULL,		-- the CA's words
	job_id		text NOT NULL,		-- the order the CA refused
	hit_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (ca, key)
);
-- the relay's "has this CA any hold now" (flow.c), one row read per CA
CREATE INDEX ca_holds_until ON ca_holds (ca, until DESC);
