-- 0017_fleet_metrics.sql -- what the coordinator's metrics read through indexes (coordinator/ops/fleet.c): certificates by CA and status, the current certificate's expiry and renewal deadline on its certificates row, the orders in flight.

-- Copied from certificates.current_issued by the trigger below whenever
-- current_issued is written, so that the fleet's expiring and overdue
-- counts read certificates alone, whatever the history kept in
-- issued_certificates: its not_after, and the moment its renewal is late,
-- 3/4 into its lifetime (renewals are planned at 2/3, +-5 %, or inside the
-- CA's ARI window, which CAs place around 2/3 too).
ALTER TABLE certificates ADD COLUMN current_not_after timestamptz,
	ADD COLUMN current_renew_by timestamptz;

CREATE FUNCTION certfleet_current_validity() RETURNS trigger LANGUAGE plpgsql
	AS $$
BEGIN
	-- no row (current_issued NULL): both NULL
	SELECT not_after, not_before + (not_after - not_before) * 0.75
		INTO NEW.current_not_after, NEW.current_renew_by
	FROM issued_certificates WHERE id = NEW.current_issued;
	RETURN NEW;
END
$$;
CREATE TRIGGER certificates_current_validity
	BEFORE INSERT OR UPDATE OF current_issued ON certificates
	FOR EACH ROW EXECUTE FUNCTION certfleet_current_validity();

UPDATE certificates c SET current_not_after = ic.not_after,
	current_renew_by = ic.not_before + (ic.not_after - ic.not_before) * 0.75
	FROM issued_certificates ic WHERE ic.id = c.current_issued;

-- Certificates by CA and status: an index-only scan of this small index
-- instead of a pass over the table.
CREATE INDEX certificates_ca_status ON certificates (ca, status);

-- Issued certificates by expiry and by renewal deadline: the expiring and
-- overdue counts read the range up to now + 30 days (or now), that is the
-- certificates concerned and no others.
CREATE INDEX certificates_expiry ON certificates (current_not_after)
	INCLUDE (ca) WHERE status = 'issued';
CREATE INDEX certificates_renew_by ON certificates (current_renew_by)
	INCLUDE (ca) WHERE status = 'issued';

-- Orders in flight per CA and status, counted without reading finished ones.
CREATE INDEX orders_in_flight ON orders (ca, status)
	WHERE status IN ('pending', 'sent', 'processing', 'deferred');
