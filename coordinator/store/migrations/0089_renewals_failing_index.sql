-- 0089_renewals_failing_index.sql -- the issued certificates whose last renewal the CA refused for good, by CA: the gauge certfleet_renewals_failing and the bulk retry read them without walking the fleet.

-- Partial: a certificate enters it only while its renewals fail (0088), so
-- an enrollment or an issuance, whose renewal_failures is 0, writes no entry.
CREATE INDEX certificates_renewals_failing ON certificates (ca)
	WHERE status = 'issued' AND renewal_failures > 0;
