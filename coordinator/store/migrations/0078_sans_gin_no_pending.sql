-- 0078_sans_gin_no_pending.sql -- the primer's lookups of a name's certificate along issued_certificates_sans stop scanning the GIN index's pending list: new entries go straight into the index.
-- With fastupdate (PostgreSQL's default) a GIN index keeps new entries in
-- an unordered pending list until vacuum or gin_pending_list_limit (4 MB)
-- merges them, and every search reads the whole list. Every issued
-- certificate adds its names there, and certfleet_prime_plan looks up each
-- name it plans (`ic.sans @> ARRAY[name]`) right after: in bench/e2e the
-- plan's INSERT INTO edge_names cost about 0.5 ms per name, most of it
-- that scan (1,000 lookups over 1,000 pending entries: 350 ms; after the
-- list was merged: 24 ms; inserting 1,000 rows cost the same either way,
-- 32-33 ms). A million-row fleet's list can hold tens of thousands of
-- entries between vacuums.
ALTER INDEX issued_certificates_sans SET (fastupdate = off);
-- what is pending now, merged at once (the setting only stops new entries)
SELECT gin_clean_pending_list('issued_certificates_sans'::regclass);
