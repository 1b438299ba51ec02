-- 0030_idempotency.sql -- Idempotency-Key of enrollments: the same key with the same body answers the same certificate.
CREATE TABLE idempotency_keys (
	key		text PRIMARY KEY,
	body_sha256	bytea NOT NULL CHECK (length(body_sha256) = 32),
	certificate	text NOT NULL REFERENCES certificates (id),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
