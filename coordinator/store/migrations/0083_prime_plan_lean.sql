-- 0083_prime_plan_lean.sql -- the primer's plan keeps its lookups on the indexes whatever the tables' size when it was planned, and queues edge_expiries rows only for a coordinator that has peter_sslers edges to tell.

-- certfleet_prime_plan runs on generic plans (0070), made once per session
-- and kept until the next ANALYZE of the tables: made while issued_certificates
-- was small (a new database, the first minutes of a deployment, every
-- bench/e2e run) they scanned the whole table once per name to plan
-- (issued_certificates_sans not used), 1.4 ms a name at 1,800 rows, and the
-- other statements of the plan likewise. Every statement of the function
-- reads a bounded set of rows through an index; without sequential scans the
-- plan made on a small table is the one a large table gets.
ALTER FUNCTION certfleet_prime_plan(integer) SET enable_seqscan = off;

-- A change queued in edge_expiries is only ever taken by the expire thread of
-- a coordinator with edges configured (CERTFLEET_PETER_SSLERS_EDGES); without
-- any, that thread deletes every row (with a cascade DELETE each): an INSERT
-- and a DELETE per certificate for nothing. The plan of a coordinator without
-- edges says so (certfleet_prime_plan(lim, false): the setting
-- certfleet.edge_expiries off for that call), and the trigger fires only when
-- the setting is not off, as before for anyone else.
DROP TRIGGER issued_certificates_edge_expiry ON issued_certificates;
CREATE TRIGGER issued_certificates_edge_expiry
	AFTER UPDATE OF primed_at, unprimed_at ON issued_certificates
	FOR EACH ROW WHEN (((OLD.primed_at IS NULL AND NEW.primed_at IS NOT NULL)
	    OR (OLD.unprimed_at IS NULL AND NEW.unprimed_at IS NOT NULL))
	    AND current_setting('certfleet.edge_expiries', true)
	    IS DISTINCT FROM 'off')
	EXECUTE FUNCTION certfleet_edge_expiry();

-- The plan, queueing edge expiries or not. The function's own SET clause
-- makes the set_config below end with the call.
CREATE FUNCTION certfleet_prime_plan(lim integer, expiries boolean)
	RETURNS integer LANGUAGE plpgsql
	SET certfleet.edge_expiries = 'on' AS $$
BEGIN
	IF NOT expiries THEN
		PERFORM set_config('certfleet.edge_expiries', 'off', true);
	END IF;
	RETURN certfleet_prime_plan(lim);
END
$$;
