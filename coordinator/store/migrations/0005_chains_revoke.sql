-- 0005_chains_revoke.sql -- every chain the CA offered, revocation, account key rollover and deactivation, more key types.

-- Certificate keys: ECDSA P-256/P-384, RSA 2048/3072/4096.
ALTER TABLE certificates DROP CONSTRAINT IF EXISTS certificates_key_type_check;
ALTER TABLE certificates ADD CONSTRAINT certificates_key_type_check
	CHECK (key_type IN ('ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'));

-- 'revoked': the CA confirmed the revocation of the current certificate.
ALTER TABLE certificates DROP CONSTRAINT IF EXISTS certificates_status_check;
ALTER TABLE certificates ADD CONSTRAINT certificates_status_check
	CHECK (status IN ('pending', 'issued', 'failed', 'revoked'));
-- The issuer common name of the chain to serve, NULL: CERTFLEET_PREFERRED_CHAIN
-- or else the CA's default chain.
ALTER TABLE certificates ADD COLUMN preferred_chain text;

ALTER TABLE issued_certificates ADD COLUMN revoked_at timestamptz;
ALTER TABLE issued_certificates ADD COLUMN revocation_reason integer
	CHECK (revocation_reason IN (0, 1, 3, 4, 5));
-- Set once the primer has withdrawn a revoked certificate from Redis.
ALTER TABLE issued_certificates ADD COLUMN unprimed_at timestamptz;
CREATE INDEX issued_certificates_unprime ON issued_certificates (revoked_at)
	WHERE revoked_at IS NOT NULL AND unprimed_at IS NULL;
-- The top issuer CN of the chain served (issued_certificates.chain_pem).
ALTER TABLE issued_certificates ADD COLUMN chain_issuer text;

-- Every chain the CA offered for an issued certificate: the default one
-- (position 0) and its alternates, each without the leaf.
CREATE TABLE certificate_chains (
	issued_certificate text NOT NULL REFERENCES issued_certificates (id),
	position	integer NOT NULL CHECK (position >= 0),
	is_default	boolean NOT NULL,
	top_issuer	text NOT NULL,		-- issuer CN of the chain's last certificate
	chain_pem	text NOT NULL,
	served		boolean NOT NULL,
	PRIMARY KEY (issued_certificate, position)
);

-- Account keys: ES256 (ec-p256), ES384 (ec-p384), RS256 (rsa-2048). A
-- rollover's new key waits here, sealed under the same AAD as the key
-- ("acme_accounts:<id>"), until the CA confirmed the keyChange.
ALTER TABLE acme_accounts DROP CONSTRAINT IF EXISTS acme_accounts_status_check;
ALTER TABLE acme_accounts ADD CONSTRAINT acme_accounts_status_check
	CHECK (status IN ('new', 'valid', 'failed', 'deactivated'));
ALTER TABLE acme_accounts ADD COLUMN pending_key_type text;
ALTER TABLE acme_accounts ADD COLUMN pending_key_ciphertext bytea;
ALTER TABLE acme_accounts ADD COLUMN pending_key_nonce bytea
	CHECK (length(pending_key_nonce) = 12);
ALTER TABLE acme_accounts ADD COLUMN pending_key_tag bytea
	CHECK (length(pending_key_tag) = 16);
ALTER TABLE acme_accounts ADD COLUMN pending_key_id text;
ALTER TABLE acme_accounts ADD COLUMN key_rolled_at timestamptz;
ALTER TABLE acme_accounts ADD COLUMN deactivated_at timestamptz;

-- One management job (revocation, key rollover, deactivation); its id is
-- the job id on Kafka.
CREATE TABLE ca_actions (
	id		text PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('revoke_certificate',
			    'rollover_account_key', 'deactivate_account')),
	account		text NOT NULL REFERENCES acme_accounts (id),
	issued_certificate text REFERENCES issued_certificates (id),
	reason		integer CHECK (reason IN (0, 1, 3, 4, 5)),
	new_key_thumbprint text,		-- rollover: RFC 7638, public
	trace_id	text NOT NULL,
	attempt		integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
	status		text NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'done', 'failed')),
	problem_type	text,
	problem_detail	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ca_actions_account ON ca_actions (account);
CREATE UNIQUE INDEX ca_actions_one_pending ON ca_actions (account, kind,
	coalesce(issued_certificate, '')) WHERE status = 'pending';
