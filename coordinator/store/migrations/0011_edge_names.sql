-- 0011_edge_names.sql -- the edge feed as state the primer reconciles Redis against: which issued certificate serves each hostname (edge_names), each Redis target's progress (prime_targets), and one id per distinct chain.

-- The id of a chain in Redis ("i:<chain id>"): the first 32 hex digits of
-- the SHA-256 of its PEM, so every certificate of one chain shares one copy.
-- (convert_to is only STABLE because of encoding conversions; to UTF8 in a
-- UTF8 database it is a pure function of its text.)
CREATE FUNCTION certfleet_chain_id(pem text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT substr(encode(sha256(convert_to(pem, 'UTF8')), 'hex'), 1, 32) $$;
ALTER TABLE issued_certificates ADD COLUMN chain_id text
	GENERATED ALWAYS AS (certfleet_chain_id(chain_pem)) STORED;
CREATE INDEX issued_certificates_chain_id ON issued_certificates (chain_id);
-- Which certificates carry a name (the plan's owner look-up). No pending
-- list: with one, every look-up scans up to 4 MB of it after a burst of
-- inserts (2 ms instead of 30 us); issuance is not fast enough to need it.
CREATE INDEX issued_certificates_sans ON issued_certificates USING gin (sans)
	WITH (fastupdate = off);

-- What every edge should serve: for each hostname the live (current, not
-- revoked) issued certificate that serves it, the newest when several do.
-- issued_certificate NULL: the name no longer has one; the row stays until
-- every target has deleted its keys (then it is pruned). seq orders the
-- changes: a target has applied every row whose seq is <= its applied_seq.
-- Written only by the primer's plan (certfleet_prime_plan).
CREATE SEQUENCE edge_names_seq;
CREATE TABLE edge_names (
	name		text PRIMARY KEY,
	issued_certificate text REFERENCES issued_certificates (id),
	private_key	text REFERENCES private_keys (id),
	chain_id	text,
	seq		bigint NOT NULL DEFAULT nextval('edge_names_seq'),
	changed_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX edge_names_seq_idx ON edge_names (seq);
CREATE INDEX edge_names_issued ON edge_names (issued_certificate, name)
	WHERE issued_certificate IS NOT NULL;
CREATE INDEX edge_names_private_key ON edge_names (private_key)
	WHERE private_key IS NOT NULL;
CREATE INDEX edge_names_chain ON edge_names (chain_id)
	WHERE chain_id IS NOT NULL;
CREATE INDEX edge_names_gone ON edge_names (seq)
	WHERE issued_certificate IS NULL;

-- One row per Redis target (CERTFLEET_PRIME_TARGETS), its own progress:
--   generation    the marker the target holds (REDISKEYS_PRIME_MARKER); NULL
--                 or another value there: the target lost its data
--   applied_seq   every edge_names change up to it is in the target
--   resync_*      a full re-prime in progress (resync_started_at not NULL),
--                 resumable: the last edge_names.seq written (a name changed
--                 meanwhile gets a higher seq, so it is still written)
CREATE TABLE prime_targets (
	name		text PRIMARY KEY,
	generation	text,
	applied_seq	bigint NOT NULL DEFAULT 0,
	resync_started_at timestamptz,
	resync_seq	bigint NOT NULL DEFAULT 0,
	resync_names	bigint NOT NULL DEFAULT 0,
	resynced_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- The plan: up to lim changed issued certificates (new current ones not
-- yet planned, revoked ones not yet withdrawn) move edge_names. Every name
-- they carry, and every name another issued certificate of the same managed
-- certificate serves today (a name leaving the set), gets its owner again:
-- the newest live issued certificate carrying it, or NULL. Rows whose owner
-- did not change keep their seq. Then primed_at / unprimed_at are set.
-- Returns how many issued certificates were taken.
CREATE FUNCTION certfleet_prime_plan(lim integer) RETURNS integer
	LANGUAGE plpgsql AS $$
DECLARE
	changed text[];
	affected text[];
BEGIN
	SELECT array_agg(id) INTO changed FROM (
		(SELECT ic.id FROM issued_certificates ic
		 JOIN certificates c ON c.id = ic.certificate
		     AND c.current_issued = ic.id
		 WHERE ic.primed_at IS NULL AND ic.revoked_at IS NULL
		 ORDER BY ic.created_at LIMIT lim)
		UNION
		(SELECT id FROM issued_certificates
		 WHERE revoked_at IS NOT NULL AND unprimed_at IS NULL
		 ORDER BY revoked_at LIMIT lim)) t;
	IF changed IS NULL THEN
		RETURN 0;
	END IF;
	SELECT array_agg(DISTINCT n) INTO affected FROM (
		SELECT unnest(ic.sans) AS n FROM issued_certificates ic
		WHERE ic.id = ANY (changed)
		UNION ALL
		SELECT en.name FROM edge_names en
		JOIN issued_certificates o ON o.id = en.issued_certificate
		WHERE o.certificate IN (SELECT certificate FROM issued_certificates
		    WHERE id = ANY (changed))) x;
	-- One index look-up per name (LATERAL ... LIMIT 1): a join over
	-- all of them lets the planner misjudge and compare every pair.
	INSERT INTO edge_names AS e (name, issued_certificate, private_key, chain_id)
	SELECT a.n, o.id, o.private_key, o.chain_id
	FROM unnest(affected) a(n)
	LEFT JOIN LATERAL (SELECT ic.id, ic.private_key, ic.chain_id
	    FROM issued_certificates ic
	    JOIN certificates c ON c.id = ic.certificate
	        AND c.current_issued = ic.id
	    WHERE ic.sans @> ARRAY[a.n] AND ic.revoked_at IS NULL
	    ORDER BY ic.created_at DESC, ic.id DESC LIMIT 1) o ON true
	WHERE o.id IS NOT NULL OR EXISTS (SELECT 1 FROM edge_names x
	    WHERE x.name = a.n AND x.issued_certificate IS NOT NULL)
	-- the names of one certificate get consecutive seqs: a re-prime in
	-- seq order then writes its c:/p: once
	ORDER BY o.id, a.n
	ON CONFLICT (name) DO UPDATE SET
		issued_certificate = EXCLUDED.issued_certificate,
		private_key = EXCLUDED.private_key, chain_id = EXCLUDED.chain_id,
		seq = nextval('edge_names_seq'), changed_at = now()
	WHERE e.issued_certificate IS DISTINCT FROM EXCLUDED.issued_certificate;
	UPDATE issued_certificates SET primed_at = now()
	WHERE id = ANY (changed) AND revoked_at IS NULL AND primed_at IS NULL;
	UPDATE issued_certificates SET unprimed_at = now()
	WHERE id = ANY (changed) AND revoked_at IS NOT NULL;
	RETURN cardinality(changed);
END
$$;

-- The current certificates the primer already primed before this
-- migration are planned again, so edge_names starts complete; every target
-- is new here, so each is re-primed in full (with the shared chain ids) and
-- its older per-certificate i: keys are swept as unused.
UPDATE issued_certificates SET primed_at = NULL
	WHERE primed_at IS NOT NULL AND revoked_at IS NULL
	AND id IN (SELECT current_issued FROM certificates);
