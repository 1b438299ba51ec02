-- 0063_api_tokens_audit.sql -- the admin API's tokens (stored hashed, with a scope) and its audit log of every state-changing call and key download.

-- A token of the admin API /v1. Only the SHA-256 of the secret is kept:
-- the secret is shown once, when certfleetctl token create makes it.
-- scope: read (GET, no keys), enroll (read + enrollments, renewals,
-- retries, imports), admin (everything, key downloads included).
CREATE TABLE api_tokens (
	id		text PRIMARY KEY,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	scope		text NOT NULL CHECK (scope IN ('read', 'enroll', 'admin')),
	hash		bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	created_by	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz,
	revoked_at	timestamptz
);

-- One row per state-changing call (any method but GET and HEAD) and per
-- key download (privkey.pem, export.p12, a worker's account key or EAB,
-- an edge's config.json), written before the call runs. token: the
-- api_tokens id, "bootstrap" (CERTFLEET_TOKEN), "worker"
-- (CERTFLEET_WORKER_TOKEN), "edge", or "-" (none). status: the HTTP status
-- of the answer, NULL until it is known.
CREATE TABLE api_audit (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	token		text NOT NULL,
	action		text NOT NULL,
	target		text NOT NULL,
	source		text NOT NULL,
	status		integer
);
CREATE INDEX api_audit_at ON api_audit (at DESC, id DESC);
CREATE INDEX api_audit_token ON api_audit (token, id DESC);
