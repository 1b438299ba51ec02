-- 0001_init.sql -- the coordinator's first schema: CAs, ACME accounts, certificates, keys, orders, outbox, problems.
-- Ids are random UUID strings made by the coordinator (so encrypted rows can
-- bind their id as AES-GCM additional data before the INSERT).

CREATE TABLE cas (
	name		text PRIMARY KEY,
	directory_url	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Account keys are stored encrypted (vault.c): AES-256-GCM, AAD "acme_accounts:<id>".
CREATE TABLE acme_accounts (
	id		text PRIMARY KEY,
	ca		text NOT NULL REFERENCES cas (name),
	key_type	text NOT NULL,
	key_ciphertext	bytea NOT NULL,
	key_nonce	bytea NOT NULL CHECK (length(key_nonce) = 12),
	key_tag		bytea NOT NULL CHECK (length(key_tag) = 16),
	key_id		text NOT NULL,
	account_url	text,
	status		text NOT NULL DEFAULT 'new'
			CHECK (status IN ('new', 'valid', 'failed')),
	register_attempt integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX acme_accounts_ca ON acme_accounts (ca);

-- A sorted, de-duplicated set of normalized DNS names.
CREATE TABLE hostname_sets (
	id		bigserial PRIMARY KEY,
	names		text[] NOT NULL UNIQUE CHECK (cardinality(names) BETWEEN 1 AND 100),
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- A managed certificate: what the operator asked for.
CREATE TABLE certificates (
	id		text PRIMARY KEY,
	hostname_set	bigint NOT NULL REFERENCES hostname_sets (id),
	ca		text NOT NULL REFERENCES cas (name),
	key_type	text NOT NULL CHECK (key_type IN ('ec-p256', 'rsa-2048')),
	status		text NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'issued', 'failed')),
	current_issued	text,
	renew_at	timestamptz,
	last_problem_type text,
	last_problem_detail text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_hostname_set ON certificates (hostname_set);
CREATE INDEX certificates_renew_at ON certificates (renew_at) WHERE renew_at IS NOT NULL;
CREATE INDEX certificates_created ON certificates (created_at DESC, id);

-- Certificate private keys, encrypted (vault.c), AAD "private_keys:<id>".
-- The public key is public: kept in clear to check issued certificates.
CREATE TABLE private_keys (
	id		text PRIMARY KEY,
	certificate	text NOT NULL REFERENCES certificates (id),
	key_type	text NOT NULL,
	public_key_der	bytea NOT NULL,
	key_ciphertext	bytea NOT NULL,
	key_nonce	bytea NOT NULL CHECK (length(key_nonce) = 12),
	key_tag		bytea NOT NULL CHECK (length(key_tag) = 16),
	key_id		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX private_keys_certificate ON private_keys (certificate);

-- One ACME order; its id is the job id on Kafka, stable across attempts.
CREATE TABLE orders (
	id		text PRIMARY KEY,
	certificate	text NOT NULL REFERENCES certificates (id),
	private_key	text NOT NULL REFERENCES private_keys (id),
	csr_der		bytea NOT NULL,
	trace_id	text NOT NULL,
	attempt		integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
	status		text NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'sent', 'processing', 'valid',
			    'failed', 'deferred')),
	order_url	text,
	not_before	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_certificate ON orders (certificate);

CREATE TABLE issued_certificates (
	id		text PRIMARY KEY,
	certificate	text NOT NULL REFERENCES certificates (id),
	order_id	text NOT NULL UNIQUE REFERENCES orders (id),
	private_key	text NOT NULL REFERENCES private_keys (id),
	cert_pem	text NOT NULL,
	chain_pem	text NOT NULL,
	serial		text NOT NULL,
	not_before	timestamptz NOT NULL,
	not_after	timestamptz NOT NULL,
	issuer		text NOT NULL,
	sans		text[] NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	primed_at	timestamptz
);
CREATE INDEX issued_certificates_certificate ON issued_certificates (certificate);
CREATE INDEX issued_certificates_unprimed ON issued_certificates (created_at)
	WHERE primed_at IS NULL;

ALTER TABLE certificates ADD CONSTRAINT certificates_current_issued_fkey
	FOREIGN KEY (current_issued) REFERENCES issued_certificates (id);

-- Transactional outbox: rows written with the state change, published by the relay.
CREATE TABLE outbox (
	id		bigserial PRIMARY KEY,
	topic		text NOT NULL,
	key		text NOT NULL,
	payload		bytea NOT NULL,
	job_id		text NOT NULL,
	attempt		integer NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	available_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_job ON outbox (job_id);

-- Every ACME problem a job reported (job_id is an order or an account id).
CREATE TABLE acme_problems (
	id		bigserial PRIMARY KEY,
	job_id		text NOT NULL,
	attempt		integer NOT NULL,
	type		text NOT NULL,
	detail		text NOT NULL,
	status		integer,
	subproblems	jsonb NOT NULL DEFAULT '[]',
	seen_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX acme_problems_job ON acme_problems (job_id);

-- Events already applied: a redelivered event changes nothing.
CREATE TABLE processed_events (
	job_id		text NOT NULL,
	attempt		integer NOT NULL,
	kind		text NOT NULL,
	processed_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (job_id, attempt, kind)
);
