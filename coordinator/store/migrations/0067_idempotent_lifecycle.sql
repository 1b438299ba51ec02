-- 0067_idempotent_lifecycle.sql -- Idempotency-Key on every POST and DELETE that changes certificates (api/api_idem.c): a lifecycle request's key keeps the reply it gave (an enrollment's keeps its certificate, as before); a key being answered has neither yet.
ALTER TABLE idempotency_keys
	ALTER COLUMN certificate DROP NOT NULL,
	ADD COLUMN reply_status integer CHECK (reply_status BETWEEN 200 AND 499),
	ADD COLUMN reply_body text;
