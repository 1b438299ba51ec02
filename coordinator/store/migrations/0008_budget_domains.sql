-- 0008_budget_domains.sql -- registered domains of each hostname set from the Public Suffix List (libpsl, at enrollment), for the per-domain budget.

-- Filled by enroll.c with hostname_registered_domain(); rows from before
-- this migration keep the two-label approximation of 0007.
ALTER TABLE hostname_sets ADD COLUMN domains text[];
UPDATE hostname_sets SET domains = ARRAY(SELECT DISTINCT
	certfleet_registered_domain(n) FROM unnest(names) n ORDER BY 1);
ALTER TABLE hostname_sets ALTER COLUMN domains SET NOT NULL;

CREATE OR REPLACE FUNCTION certfleet_budget_keys(order_id text)
	RETURNS TABLE (ca text, key text) LANGUAGE sql STABLE
	AS $$
	SELECT coalesce(o.ca, c.ca), k.key
	FROM orders o JOIN certificates c ON c.id = o.certificate
	JOIN hostname_sets h ON h.id = c.hostname_set,
	LATERAL (SELECT 's:' || h.id AS key UNION
	    SELECT 'd:' || d FROM unnest(h.domains) d) k
	WHERE o.id = order_id
	$$;
