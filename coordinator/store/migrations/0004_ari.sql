-- 0004_ari.sql -- ACME Renewal Information (RFC 9773) and profiles: the CA's suggested window per issued certificate, the CertID renewals replace, a profile per certificate.
ALTER TABLE certificates ADD COLUMN profile text
	CHECK (profile ~ '^[A-Za-z0-9._-]{1,64}$');

-- The ARI CertID is computed from the certificate itself (AKI keyIdentifier
-- and serial); the window is what the CA suggested, NULL when it has no ARI.
ALTER TABLE issued_certificates ADD COLUMN ari_cert_id text;
ALTER TABLE issued_certificates ADD COLUMN ari_window_start timestamptz;
ALTER TABLE issued_certificates ADD COLUMN ari_window_end timestamptz;
ALTER TABLE issued_certificates ADD COLUMN ari_explanation_url text;
ALTER TABLE issued_certificates ADD CONSTRAINT issued_certificates_ari_window
	CHECK (ari_window_end IS NULL OR ari_window_end > ari_window_start);

-- A renewal order names the CertID it replaces (sent as newOrder "replaces").
ALTER TABLE orders ADD COLUMN replaces text;
