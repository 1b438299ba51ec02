-- 0002_dns01.sql -- the challenge type of a certificate: http-01 (default) or dns-01 (the only one for wildcards).
ALTER TABLE certificates ADD COLUMN challenge text NOT NULL DEFAULT 'http-01'
	CHECK (challenge IN ('http-01', 'dns-01'));
