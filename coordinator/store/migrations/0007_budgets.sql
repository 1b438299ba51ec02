-- 0007_budgets.sql -- per-CA budgets (budget.c): when each order was released, and every issued certificate counted per registered domain and per exact name set.

-- When the relay first released the order to the workers (NULL: not yet).
ALTER TABLE orders ADD COLUMN released_at timestamptz;
UPDATE orders SET released_at = updated_at WHERE status <> 'pending';
CREATE INDEX orders_released ON orders (ca, released_at DESC)
	WHERE released_at IS NOT NULL;

-- The registered domain of a DNS name: its last two labels (no Public
-- Suffix List: "a.example.co.uk" counts under "co.uk", more strictly).
CREATE FUNCTION certfleet_registered_domain(name text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT substring(ltrim(name, '*.') from '[^.]+(?:\.[^.]+)?$') $$;

-- One row per issued certificate and key it counts under: 's:<hostname set
-- id>' (the exact name set) and 'd:<registered domain>' (once per domain).
CREATE TABLE budget_issued (
	ca		text NOT NULL,
	key		text NOT NULL,
	issued_certificate text NOT NULL REFERENCES issued_certificates (id),
	issued_at	timestamptz NOT NULL
);
CREATE INDEX budget_issued_window ON budget_issued (ca, key, issued_at DESC);

CREATE FUNCTION certfleet_budget_keys(order_id text)
	RETURNS TABLE (ca text, key text) LANGUAGE sql STABLE
	AS $$
	SELECT coalesce(o.ca, c.ca), k.key
	FROM orders o JOIN certificates c ON c.id = o.certificate
	JOIN hostname_sets h ON h.id = c.hostname_set,
	LATERAL (SELECT 's:' || h.id AS key UNION
	    SELECT 'd:' || certfleet_registered_domain(n) FROM unnest(h.names) n) k
	WHERE o.id = order_id
	$$;

CREATE FUNCTION certfleet_budget_issued() RETURNS trigger LANGUAGE plpgsql
	AS $$
BEGIN
	INSERT INTO budget_issued (ca, key, issued_certificate, issued_at)
	SELECT k.ca, k.key, NEW.id, NEW.created_at
	FROM certfleet_budget_keys(NEW.order_id) k;
	RETURN NULL;
END
$$;
CREATE TRIGGER issued_certificates_budget AFTER INSERT ON issued_certificates
	FOR EACH ROW EXECUTE FUNCTION certfleet_budget_issued();

INSERT INTO budget_issued (ca, key, issued_certificate, issued_at)
SELECT k.ca, k.key, ic.id, ic.created_at
FROM issued_certificates ic, certfleet_budget_keys(ic.order_id) k
WHERE ic.created_at > now() - interval '7 days';
