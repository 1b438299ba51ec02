-- 0003_cas.sql -- several CAs: trust bundle names, sealed External Account Binding credentials, a certificate's fallback CAs, each order's CA.

ALTER TABLE cas ADD COLUMN trust text NOT NULL DEFAULT '';

-- The EAB MAC key is sealed like the account key (vault.c), AAD
-- "acme_accounts_eab:<id>"; the key id is not secret.
ALTER TABLE acme_accounts
	ADD COLUMN eab_kid text,
	ADD COLUMN eab_ciphertext bytea,
	ADD COLUMN eab_nonce bytea CHECK (length(eab_nonce) = 12),
	ADD COLUMN eab_tag bytea CHECK (length(eab_tag) = 16),
	ADD COLUMN eab_key_id text;

-- The CAs tried after certificates.ca, in order, when an order fails for good.
ALTER TABLE certificates ADD COLUMN fallback text[] NOT NULL DEFAULT '{}';

-- The CA an order runs against (NULL in rows older than this migration:
-- the certificate's CA).
ALTER TABLE orders ADD COLUMN ca text REFERENCES cas (name);
