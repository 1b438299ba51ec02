-- 0062_key_pool.sql -- certificate keys made ahead by the key pool's thread (store/keypool.c), taken by enrollments and renewals.
-- Each key is sealed (vault.c) with AAD "key_pool:<id>" and sealed again for
-- its private_keys row when it is taken. A row is taken by DELETE ... of a
-- row picked FOR UPDATE SKIP LOCKED, oldest first, through key_pool_type.
CREATE TABLE key_pool (
	id		text PRIMARY KEY,
	key_type	text NOT NULL CHECK (key_type IN ('ec-p256', 'ec-p384',
			    'rsa-2048', 'rsa-3072', 'rsa-4096')),
	public_key_der	bytea NOT NULL,
	key_ciphertext	bytea NOT NULL,
	key_nonce	bytea NOT NULL CHECK (length(key_nonce) = 12),
	key_tag		bytea NOT NULL CHECK (length(key_tag) = 16),
	key_id		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX key_pool_type ON key_pool (key_type, created_at);
