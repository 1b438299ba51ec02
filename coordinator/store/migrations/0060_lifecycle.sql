-- 0060_lifecycle.sql -- a certificate's lifecycle: deleted and disabled certificates (withdrawn from the edges, never renewed), cancelled orders, a replacement order for a changed name set, and the record of every such change.

-- deleted: final; disabled: until enabled again. Neither is renewed,
-- re-checked (ARI) nor served by the edges.
ALTER TABLE certificates DROP CONSTRAINT IF EXISTS certificates_status_check;
ALTER TABLE certificates ADD CONSTRAINT certificates_status_check
	CHECK (status IN ('pending', 'issued', 'failed', 'revoked', 'disabled',
	    'deleted'));
ALTER TABLE certificates ADD COLUMN disabled_at timestamptz,
	ADD COLUMN deleted_at timestamptz;

-- cancelled: an order of a certificate deleted, disabled or given another
-- name set while it was in flight; every later event about it is ignored
-- (results/results_order.c), its unsent job dropped from the outbox.
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
	CHECK (status IN ('pending', 'sent', 'processing', 'valid', 'failed',
	    'deferred', 'cancelled'));

-- withdrawn_at: the issued certificate of a deleted or disabled certificate
-- must leave the edges (the plan then sets unprimed_at, as for a revoked
-- one); enabling clears it, with primed_at and unprimed_at, so the plan
-- primes it again.
ALTER TABLE issued_certificates ADD COLUMN withdrawn_at timestamptz;
CREATE INDEX issued_certificates_withdrawn ON issued_certificates
	(withdrawn_at) WHERE withdrawn_at IS NOT NULL AND unprimed_at IS NULL;

-- One row per lifecycle change an operator made (orders/lifecycle.c), in
-- the transaction of the change: what, from which status, the names added
-- and dropped, the replacement order, the revocation asked for, and who.
CREATE TABLE certificate_changes (
	id		bigserial PRIMARY KEY,
	certificate	text NOT NULL REFERENCES certificates (id),
	action		text NOT NULL
			CHECK (action IN ('delete', 'disable', 'enable', 'names')),
	from_status	text NOT NULL,
	to_status	text NOT NULL,
	names_added	text[] NOT NULL DEFAULT '{}',
	names_dropped	text[] NOT NULL DEFAULT '{}',
	order_id	text,
	orders_cancelled integer NOT NULL DEFAULT 0,
	revoke_action	text,
	client		text,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificate_changes_certificate ON certificate_changes
	(certificate, id);

-- The plan of 0011, where a live issued certificate is also not withdrawn:
-- withdrawn ones not yet unprimed are taken like revoked ones (their names
-- get another owner, or none, and their keys leave every target).
CREATE OR REPLACE FUNCTION certfleet_prime_plan(lim integer) RETURNS integer
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
		     AND ic.withdrawn_at IS NULL
		 ORDER BY ic.created_at LIMIT lim)
		UNION
		(SELECT id FROM issued_certificates
		 WHERE revoked_at IS NOT NULL AND unprimed_at IS NULL
		 ORDER BY revoked_at LIMIT lim)
		UNION
		(SELECT id FROM issued_certificates
		 WHERE withdrawn_at IS NOT NULL AND unprimed_at IS NULL
		 ORDER BY withdrawn_at LIMIT lim)) t;
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
	INSERT INTO edge_names AS e (name, issued_certificate, private_key, chain_id)
	SELECT a.n, o.id, o.private_key, o.chain_id
	FROM unnest(affected) a(n)
	LEFT JOIN LATERAL (SELECT ic.id, ic.private_key, ic.chain_id
	    FROM issued_certificates ic
	    JOIN certificates c ON c.id = ic.certificate
	        AND c.current_issued = ic.id
	    WHERE ic.sans @> ARRAY[a.n] AND ic.revoked_at IS NULL
	        AND ic.withdrawn_at IS NULL
	    ORDER BY ic.created_at DESC, ic.id DESC LIMIT 1) o ON true
	WHERE o.id IS NOT NULL OR EXISTS (SELECT 1 FROM edge_names x
	    WHERE x.name = a.n AND x.issued_certificate IS NOT NULL)
	ORDER BY o.id, a.n
	ON CONFLICT (name) DO UPDATE SET
		issued_certificate = EXCLUDED.issued_certificate,
		private_key = EXCLUDED.private_key, chain_id = EXCLUDED.chain_id,
		seq = nextval('edge_names_seq'), changed_at = now()
	WHERE e.issued_certificate IS DISTINCT FROM EXCLUDED.issued_certificate;
	UPDATE issued_certificates SET primed_at = now()
	WHERE id = ANY (changed) AND revoked_at IS NULL AND withdrawn_at IS NULL
	    AND primed_at IS NULL;
	UPDATE issued_certificates SET unprimed_at = now()
	WHERE id = ANY (changed) AND (revoked_at IS NOT NULL OR
	    withdrawn_at IS NOT NULL);
	RETURN cardinality(changed);
END
$$;
