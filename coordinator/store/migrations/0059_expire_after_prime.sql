-- 0059_expire_after_prime.sql -- an expiry waits until its names are written in every Redis target: the change's edge_names seq, and the targets' written-up-to position the expire thread compares it with.

-- The highest edge_names.seq of the certificate's names when the change was
-- queued (the plan has just moved them): once every target has written up
-- to it, the edges re-reading Redis after the expire call find the new keys.
-- NULL (changes queued before this migration): ready at once, as before.
ALTER TABLE edge_expiries ADD COLUMN seq bigint;

CREATE OR REPLACE FUNCTION certfleet_edge_expiry() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF (OLD.primed_at IS NULL AND NEW.primed_at IS NOT NULL) OR
	    (OLD.unprimed_at IS NULL AND NEW.unprimed_at IS NOT NULL) THEN
		INSERT INTO edge_expiries (issued_certificate, names, seq)
		SELECT NEW.id, NEW.sans, coalesce(max(en.seq), 0)
		FROM edge_names en WHERE en.name = ANY (NEW.sans);
	END IF;
	RETURN NULL;
END
$$;

-- Every change with a seq up to this is in every target's Redis: a target
-- has written every seq up to applied_seq, except during a full re-prime,
-- which writes in seq order up to resync_seq (saved once per slice). No
-- target configured: everything (the edges then read config.json only).
CREATE FUNCTION certfleet_prime_written() RETURNS bigint
	LANGUAGE sql STABLE AS $$
	SELECT coalesce(min(CASE WHEN resync_started_at IS NULL THEN applied_seq
	    ELSE least(applied_seq, resync_seq) END), 9223372036854775807)
	FROM prime_targets $$;
