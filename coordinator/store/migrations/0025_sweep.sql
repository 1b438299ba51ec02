-- 0025_sweep.sql -- the sweeper (schedule/sweep.c) finds orders in flight by age through a partial index, and counts re-drives.
-- Only orders a worker holds are in the index: the sweep's cost follows
-- them, not the orders kept for history.
CREATE INDEX orders_sweep ON orders (updated_at)
	WHERE status IN ('sent', 'processing');
-- Consecutive re-drives without progress (reset by any applied event of
-- the current attempt), and result events of the order the consumer could
-- not apply (results/results_poison.c).
ALTER TABLE orders ADD COLUMN sweeps integer NOT NULL DEFAULT 0
	CHECK (sweeps >= 0);
ALTER TABLE orders ADD COLUMN poisoned integer NOT NULL DEFAULT 0
	CHECK (poisoned >= 0);
