-- 0077_autovacuum_hot_tables.sql -- the tables every renewal and order rewrites (certificates, orders, outbox) are vacuumed after a fixed number of dead rows, not a fifth of the table, so that the scans of their partial and renew_at indexes walk few dead entries at a million rows.
-- A renewal moves a certificate's renew_at twice (the tick's lease, then
-- the result), leaving two dead entries in certificates_renew_at below
-- now(), where every renewal tick starts its walk. PostgreSQL's default
-- (autovacuum_vacuum_scale_factor 0.2) vacuums a million-row table once
-- 200,000 rows are dead: at 16 renewals a second that is every couple of
-- hours, and a tick with nothing due walked 323 index pages of dead
-- entries for no row (bench/api: 12.5 ms at 1,050,000 rows, 0.2 ms at
-- 105,000). With a scale factor of 0.5 % and a threshold of 5,000 rows a
-- million-row table is vacuumed at 10,000 dead rows (about 30 index pages
-- of dead renew_at entries), a 100,000-row one at 5,500. orders and outbox
-- churn the same way (an order's status moves several times; outbox rows
-- are sent, then deleted by retention) and are scanned through partial
-- indexes (orders_in_flight, outbox_unsent_*, outbox_held) that dead rows
-- bloat alike. ANALYZE follows at 1 %: the plans of those partial indexes
-- depend on how many rows are in flight.
ALTER TABLE certificates SET (autovacuum_vacuum_scale_factor = 0.005,
	autovacuum_vacuum_threshold = 5000, autovacuum_analyze_scale_factor = 0.01,
	autovacuum_analyze_threshold = 5000);
ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.005,
	autovacuum_vacuum_threshold = 5000, autovacuum_analyze_scale_factor = 0.01,
	autovacuum_analyze_threshold = 5000);
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.005,
	autovacuum_vacuum_threshold = 5000, autovacuum_analyze_scale_factor = 0.01,
	autovacuum_analyze_threshold = 5000);
