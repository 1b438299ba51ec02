-- fill.sql -- bench/metrics/run's fleet: :n certificates as a large deployment holds them (statuses, current certificates with real-sized PEMs, orders, outbox history).
-- Run with psql -v n=N on a migrated, empty database. Every certificate has
-- one issued certificate (its current one unless pending or failed) and one
-- finished order; 2 % are pending with an order in flight and an unsent
-- outbox row, 1 % failed, 1 % revoked. As in a healthy fleet of 90-day
-- certificates renewed at 2/3, expiry is spread over 30 to 90 days from
-- now, but for 1 % late (within 30 days) and 0.1 % expired. Nothing is due
-- for renewal, ARI re-check or priming, so a coordinator started on it
-- stays idle.
-- For speed, triggers and foreign key checks are off while it fills
-- (session_replication_role: the stack's user is a superuser), so the
-- columns migration 0017's trigger keeps are written here; and the PEM
-- columns are stored as real PEMs are, without compression (base64 of DER
-- does not compress), though filled with repeated text that would.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET session_replication_role = replica;
ALTER TABLE issued_certificates ALTER COLUMN cert_pem SET STORAGE EXTERNAL,
	ALTER COLUMN chain_pem SET STORAGE EXTERNAL;

INSERT INTO cas (name, directory_url) VALUES ('pebble', 'https://127.0.0.1/dir')
	ON CONFLICT DO NOTHING;

CREATE TEMP TABLE g AS
SELECT i, md5('c' || i)::uuid::text AS cid, md5('k' || i)::uuid::text AS kid,
	md5('o' || i)::uuid::text AS oid, md5('x' || i)::uuid::text AS icid,
	CASE WHEN i % 100 < 2 THEN 'pending' WHEN i % 100 = 2 THEN 'failed'
	     WHEN i % 100 = 3 THEN 'revoked' ELSE 'issued' END AS status,
	CASE WHEN i % 1000 = 4 THEN now() - interval '1 day'
	     WHEN i % 100 = 5 THEN now() + (i % 30) * interval '1 day'
	     ELSE now() + interval '30 days' + ((i::bigint * 7919) % (60 * 24)) * interval '1 hour'
	END AS not_after
FROM generate_series(1, :n) i;

INSERT INTO hostname_sets (id, names, domains)
SELECT i, ARRAY['bench-' || i || '.test', 'www.bench-' || i || '.test'],
	ARRAY['bench-' || i || '.test'] FROM g;
SELECT setval('hostname_sets_id_seq', :n);

INSERT INTO certificates (id, hostname_set, ca, key_type, status, created_at)
SELECT cid, i, 'pebble', 'ec-p256', status, now() - interval '60 days' FROM g;

INSERT INTO private_keys (id, certificate, key_type, public_key_der,
	key_ciphertext, key_nonce, key_tag, key_id)
SELECT kid, cid, 'ec-p256', decode(repeat(md5(kid), 3), 'hex'),
	decode(md5(kid) || md5(cid) || md5(oid) || md5(icid), 'hex'),
	decode(substr(md5(kid), 1, 24), 'hex'), decode(md5(cid), 'hex'), 'bench'
FROM g;

INSERT INTO orders (id, certificate, private_key, csr_der, trace_id, status,
	ca, released_at, created_at)
SELECT oid, cid, kid, decode(repeat(md5(oid), 18), 'hex'), md5(oid),
	CASE WHEN status = 'pending' THEN (ARRAY['pending', 'sent', 'processing'])[i % 3 + 1]
	     WHEN status = 'failed' THEN 'failed' ELSE 'valid' END,
	'pebble', now() - (i % 1000) * interval '1 minute', now() - interval '60 days'
FROM g;

-- PEM-sized text: a leaf (~900 B) and a chain (~1.8 KB)
INSERT INTO issued_certificates (id, certificate, order_id, private_key,
	cert_pem, chain_pem, chain_id, serial, not_before, not_after, issuer,
	sans, created_at, primed_at, revoked_at)
SELECT icid, cid, oid, kid,
	repeat(md5(icid), 28), repeat(md5(oid), 56),
	certfleet_chain_id(repeat(md5(oid), 56)),
	md5(icid), not_after - interval '90 days', not_after, 'Pebble Intermediate',
	ARRAY['bench-' || i || '.test', 'www.bench-' || i || '.test'],
	now() - interval '60 days', now() - interval '60 days',
	CASE WHEN status = 'revoked' THEN now() - interval '1 day' END
FROM g WHERE status IN ('issued', 'revoked');

UPDATE certificates c SET current_issued = g.icid,
	current_not_after = g.not_after,
	current_renew_by = g.not_after - interval '90 days' * 0.25
	FROM g WHERE g.cid = c.id AND g.status IN ('issued', 'revoked');

-- The outbox keeps every row it sent; the pending orders' rows are unsent.
INSERT INTO outbox (topic, key, payload, job_id, attempt, created_at,
	available_at, sent_at)
SELECT 'certfleet.jobs', 'bench-' || i || '.test', decode(repeat(md5(oid), 20), 'hex'),
	oid, 1, now() - interval '60 days',
	CASE WHEN status = 'pending' THEN now() + interval '1 day' ELSE now() - interval '60 days' END,
	CASE WHEN status = 'pending' THEN NULL ELSE now() - interval '60 days' END
FROM g;

RESET session_replication_role;
VACUUM ANALYZE;
