-- 0090_chain_id_written.sql -- issued_certificates.chain_id becomes a plain column its writers fill (the coordinator computes it, results/chains.c chains_id) instead of one PostgreSQL generates.

-- Why: certfleet_chain_id cannot be inlined (convert_to is STABLE), so the
-- generation ran it as an SQL function, its body parsed and planned again at
-- every INSERT: about 40 us of the server's CPU per issued certificate
-- (docs/performance-log.md, "The chain's id written by the coordinator").
-- The values stay as they are; certfleet_chain_id stays for rows written in
-- SQL (fixtures, fills), and computes the same id.
ALTER TABLE issued_certificates ALTER COLUMN chain_id DROP EXPRESSION;
-- a writer that forgets it fails, rather than a row the edge feed cannot name
ALTER TABLE issued_certificates ALTER COLUMN chain_id SET NOT NULL;
