-- 0006_limits.sql -- every rate limit a CA reported (429, 503, rateLimited): which limit, on which request, per CA and account, until when.
CREATE TABLE rate_limit_hits (
	id		bigserial PRIMARY KEY,
	ca		text NOT NULL,
	account_id	text,
	job_id		text NOT NULL,
	attempt		integer NOT NULL,
	endpoint	text NOT NULL,		-- "newOrder", "finalize"...; '' when unknown
	problem_type	text NOT NULL,
	detail		text NOT NULL,
	status		integer,
	not_before	timestamptz NOT NULL,	-- the CA's Retry-After
	seen_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_limit_hits_ca ON rate_limit_hits (ca, seen_at DESC);
CREATE INDEX rate_limit_hits_job ON rate_limit_hits (job_id);
