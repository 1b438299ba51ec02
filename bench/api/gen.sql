-- gen.sql -- a fleet of :n generated certificates for bench/api/run, in one go (INSERT ... SELECT generate_series):
-- psql -v n=1000000 -v directory=URL -f gen.sql on a database the coordinator migrated.
-- Certificate i (1..n) gets its attributes from i, the same rules bench/api/lookup.lua uses for names:
--   names     [shop.|api.]<word>-<i>.<domain> (shop. when i%20 = 0, api. when i%20 = 1), and www. of it
--             for even i; domain customer.com when i%10 = 3 (a white-label suffix: 10% of the fleet),
--             else d<i%50000> with .com .net .org .io .de
--   status    i%50: 0-1 pending, 2-3 failed, 4 revoked, else issued (90% issued)
--   ca        pebble 80%, letsencrypt 10%, zerossl 5%, google 5%; key ec-p256 85%, rsa-2048 10%,
--             ec-p384 4%, rsa-4096 1%
--   tenant    one of 1000 for 70% of certificates; labels env (prod 70%, staging 20%, dev 10%), team (200)
--   created   spread over the last 180 days, oldest first; not_after uniform over 30-90 days from now,
--             independent of created_at (90-day certificates renewed at 60), except 1% (i%100 = 55, all
--             issued) that expire within a week, their renewal in flight; renew_at 30 days before not_after, in the
--             past for i%1000 = 5 (0.1%: due, all EC keys at pebble)
--   problem   failed ones: rateLimited, dns, connection or unauthorized; SHA-1 in chain for i%2000 = 7
-- Triggers are off while loading (session_replication_role = replica: no FK checks, no per-row triggers);
-- what they maintain (certificate_names, certificate_labels, the copies on certificates) is written here.
\set ON_ERROR_STOP 1
SET session_replication_role = replica;
SET synchronous_commit = off;

INSERT INTO cas (name, directory_url) VALUES ('pebble', :'directory'),
	('letsencrypt', 'https://acme-v02.api.letsencrypt.org/directory'),
	('zerossl', 'https://acme.zerossl.com/v2/DV90'),
	('google', 'https://dv.acme-v02.api.pki.goog/directory')
	ON CONFLICT (name) DO NOTHING;
INSERT INTO tenants (name) SELECT 'tenant-' || lpad(k::text, 4, '0') FROM generate_series(0, 999) k
	ON CONFLICT (name) DO NOTHING;
-- renewals look for an account of the CA (renew.c); this one is never used to sign
INSERT INTO acme_accounts (id, ca, directory_url, key_type, key_ciphertext, key_nonce, key_tag, key_id, status)
	SELECT 'bench-account-pebble', 'pebble', :'directory', 'ec-p256', '\x00', decode(repeat('00', 12), 'hex'),
	decode(repeat('00', 16), 'hex'), 'none', 'valid'
	WHERE NOT EXISTS (SELECT 1 FROM acme_accounts WHERE ca = 'pebble');

CREATE FUNCTION pg_temp.cid(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT substr(m, 1, 8) || '-' || substr(m, 9, 4) || '-4' || substr(m, 14, 3) || '-8' ||
	    substr(m, 18, 3) || '-' || substr(m, 21, 12) FROM md5('bench' || i) m $$;
CREATE FUNCTION pg_temp.host(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE i % 20 WHEN 0 THEN 'shop.' WHEN 1 THEN 'api.' ELSE '' END ||
	    (ARRAY['shop', 'api', 'mail', 'app', 'blog', 'cdn', 'portal', 'store', 'my', 'dev', 'status',
	    'docs', 'web', 'admin', 'pay', 'm'])[i % 16 + 1] || '-' || i || '.' ||
	    CASE WHEN i % 10 = 3 THEN 'customer.com' ELSE 'd' || (i % 50000) ||
	    (ARRAY['.com', '.net', '.org', '.io', '.de'])[i % 5 + 1] END $$;
CREATE FUNCTION pg_temp.names(i bigint) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN i % 2 = 0 THEN ARRAY[pg_temp.host(i), 'www.' || pg_temp.host(i)]
	    ELSE ARRAY[pg_temp.host(i)] END $$;
CREATE FUNCTION pg_temp.status(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN i % 50 < 2 THEN 'pending' WHEN i % 50 < 4 THEN 'failed'
	    WHEN i % 50 = 4 THEN 'revoked' ELSE 'issued' END $$;
CREATE FUNCTION pg_temp.ca(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN i % 1000 = 5 OR (i / 7) % 20 < 16 THEN 'pebble' WHEN (i / 7) % 20 < 18
	    THEN 'letsencrypt' WHEN (i / 7) % 20 = 18 THEN 'zerossl' ELSE 'google' END $$;
CREATE FUNCTION pg_temp.key_type(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN i % 100 < 85 THEN 'ec-p256' WHEN i % 100 < 95 THEN 'rsa-2048'
	    WHEN i % 100 < 99 THEN 'ec-p384' ELSE 'rsa-4096' END $$;
CREATE FUNCTION pg_temp.issuer(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE pg_temp.ca(i) WHEN 'pebble' THEN 'CN=Pebble Intermediate CA 4d6f2a'
	    WHEN 'letsencrypt' THEN CASE WHEN pg_temp.key_type(i) LIKE 'ec-%'
	        THEN 'CN=E6,O=Let''s Encrypt,C=US' ELSE 'CN=R11,O=Let''s Encrypt,C=US' END
	    WHEN 'zerossl' THEN 'CN=ZeroSSL ECC Domain Secure Site CA,O=ZeroSSL,C=AT'
	    ELSE 'CN=WR1,O=Google Trust Services,C=US' END $$;

CREATE TEMP TABLE g AS
SELECT i, pg_temp.cid(i) AS id, pg_temp.names(i) AS names, pg_temp.status(i) AS status,
	pg_temp.status(i) IN ('issued', 'revoked') AS issued,
	now() - interval '180 days' + (i::float8 / :n) * interval '180 days' AS created_at,
	CASE WHEN i % 100 = 55 THEN now() + (i % 7) * interval '1 day' + interval '1 hour'
	    ELSE now() + interval '30 days' + ((i * 7919) % (60 * 24)) * interval '1 hour' END AS not_after
FROM generate_series(1::bigint, :n) i;

INSERT INTO hostname_sets (id, names, domains, created_at)
SELECT i, names, ARRAY[substring(names[1] from '[^.]+\.[^.]+$')], created_at FROM g;
SELECT setval('hostname_sets_id_seq', (SELECT max(id) FROM hostname_sets));

INSERT INTO certificates (id, hostname_set, ca, key_type, status, tenant, labels, created_at, updated_at,
	current_issued, renew_at, not_after, issuer, sha1_in_chain, last_problem_type, last_problem_detail)
SELECT id, i, pg_temp.ca(i), pg_temp.key_type(i), status,
	CASE WHEN i % 10 < 7 THEN 'tenant-' || lpad(((i * 7919) % 1000)::text, 4, '0') END,
	jsonb_build_object('env', CASE WHEN i % 10 < 7 THEN 'prod' WHEN i % 10 < 9 THEN 'staging' ELSE 'dev' END,
	    'team', 'team-' || (i % 200)),
	created_at, created_at,
	CASE WHEN issued THEN 'i' || id END,
	CASE WHEN NOT issued THEN NULL WHEN i % 1000 = 5 THEN now() - (i % 60) * interval '1 minute'
	    WHEN i % 100 = 55 THEN now() + interval '1 hour' ELSE not_after - interval '30 days' END,
	CASE WHEN issued THEN not_after END,
	CASE WHEN issued THEN pg_temp.issuer(i) END,
	CASE WHEN issued THEN i % 2000 = 7 END,
	CASE WHEN status = 'failed' THEN 'urn:ietf:params:acme:error:' ||
	    (ARRAY['rateLimited', 'dns', 'connection', 'unauthorized'])[i % 4 + 1] END,
	CASE WHEN status = 'failed' THEN 'generated' END
FROM g;

INSERT INTO private_keys (id, certificate, key_type, public_key_der, key_ciphertext, key_nonce, key_tag,
	key_id, created_at)
SELECT 'k' || id, id, pg_temp.key_type(i), '\x00', '\x00', decode(repeat('00', 12), 'hex'),
	decode(repeat('00', 16), 'hex'), 'bench', created_at FROM g WHERE issued;
INSERT INTO orders (id, certificate, private_key, csr_der, trace_id, status, ca, created_at, updated_at,
	released_at)
SELECT 'o' || id, id, 'k' || id, '\x00', 'bench', 'valid', pg_temp.ca(i), created_at, created_at,
	created_at FROM g WHERE issued;
INSERT INTO issued_certificates (id, certificate, order_id, private_key, cert_pem, chain_pem, chain_id, serial,
	not_before, not_after, issuer, sans, created_at, primed_at, sha1_in_chain)
SELECT 'i' || id, id, 'o' || id, 'k' || id, 'generated', '', certfleet_chain_id(''), to_hex(i),
	not_after - interval '90 days',
	not_after, pg_temp.issuer(i), names, not_after - interval '90 days', now(), i % 2000 = 7
FROM g WHERE issued;

INSERT INTO certificate_names (name, certificate) SELECT n, id FROM g, unnest(names) n;
INSERT INTO certificate_labels (key, value, created_at, certificate)
SELECT l.key, l.value, c.created_at, c.id FROM certificates c, jsonb_each_text(c.labels) l
WHERE c.id IN (SELECT id FROM g);
