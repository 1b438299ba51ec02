-- 0035_import_export.sql -- imported certificates (issued elsewhere, so without an order) and the record of every private key download.

-- An imported certificate answers no order of ours: order_id is NULL and
-- imported_at says when it was taken over (results/import.c). Everything
-- that joins orders on order_id does so with LEFT JOIN and falls back to the
-- certificate's CA; the budget trigger finds no order and counts nothing.
ALTER TABLE issued_certificates ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE issued_certificates ADD COLUMN imported_at timestamptz;
ALTER TABLE issued_certificates ADD CONSTRAINT issued_certificates_origin
	CHECK ((order_id IS NULL) = (imported_at IS NOT NULL));
-- The same certificate imported twice answers the first import.
CREATE INDEX issued_certificates_serial ON issued_certificates (serial);
CREATE UNIQUE INDEX issued_certificates_imported ON issued_certificates
	(serial, issuer) WHERE imported_at IS NOT NULL;

-- Every private key that left through the API (privkey.pem, export.p12):
-- which, when, to which client address and User-Agent. Never the key.
CREATE TABLE key_downloads (
	id		bigserial PRIMARY KEY,
	certificate	text NOT NULL REFERENCES certificates (id),
	issued_certificate text NOT NULL REFERENCES issued_certificates (id),
	format		text NOT NULL,
	client		text NOT NULL,
	user_agent	text NOT NULL DEFAULT '',
	downloaded_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX key_downloads_certificate ON key_downloads (certificate, downloaded_at DESC);
