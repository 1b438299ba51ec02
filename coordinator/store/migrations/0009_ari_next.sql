-- 0009_ari_next.sql -- ARI re-checks (RFC 9773 section 4.3): when to fetch an issued certificate's renewalInfo again, and the check in flight.
-- NULL: never again (no ARI window, or no longer the current certificate).
ALTER TABLE issued_certificates ADD COLUMN ari_next_at timestamptz;
-- The ari_check job last queued for it; its events are applied, others ignored.
ALTER TABLE issued_certificates ADD COLUMN ari_check_job text;

-- The re-check tick scans this index: only certificates with a due check.
CREATE INDEX issued_certificates_ari_next ON issued_certificates (ari_next_at)
	WHERE ari_next_at IS NOT NULL;
CREATE UNIQUE INDEX issued_certificates_ari_check_job
	ON issued_certificates (ari_check_job) WHERE ari_check_job IS NOT NULL;
