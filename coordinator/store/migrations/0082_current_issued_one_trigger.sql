-- 0082_current_issued_one_trigger.sql -- a certificate's copies of its current issued certificate (0017's expiry and renewal deadline, 0061's search columns) written by one trigger reading that row once, and no trigger call when a certificate is inserted without one.
-- Before: two BEFORE triggers read the same issued_certificates row on
-- every change of current_issued (certificates_current, then
-- certificates_current_validity), and the second also ran on every INSERT
-- into certificates, where current_issued is NULL (an issued certificate
-- refers to its certificate, so it comes later): a PL/pgSQL call and a
-- SELECT finding nothing for every enrollment (bench/e2e: 2 of the 56
-- statements per certificate, docs/design.md).
CREATE OR REPLACE FUNCTION certfleet_certificate_current() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	-- no row (current_issued NULL): all five NULL
	SELECT ic.not_after, ic.issuer, ic.sha1_in_chain, ic.not_after,
		ic.not_before + (ic.not_after - ic.not_before) * 0.75
	INTO NEW.not_after, NEW.issuer, NEW.sha1_in_chain,
		NEW.current_not_after, NEW.current_renew_by
	FROM issued_certificates ic WHERE ic.id = NEW.current_issued;
	RETURN NEW;
END
$$;

-- certificates_current (0061) keeps its WHEN: an issued certificate's
-- validity never changes, so rewriting current_issued with the same id has
-- nothing to copy.
DROP TRIGGER certificates_current_validity ON certificates;

-- An INSERT that names a current certificate, or sets the copies itself
-- (none does today), gets them from 0017's function as before: the
-- copies follow current_issued, never the writer.
CREATE TRIGGER certificates_current_validity_insert BEFORE INSERT
	ON certificates FOR EACH ROW
	WHEN (NEW.current_issued IS NOT NULL OR NEW.current_not_after IS NOT NULL
		OR NEW.current_renew_by IS NOT NULL)
	EXECUTE FUNCTION certfleet_current_validity();
