-- 0073_outbox_held.sql -- the outbox costs the relay and retention the rows they handle, not every row waiting: held rows (a CA's budget, a retry's delay) out of the relay's indexes, and sent rows found by sent_at.
-- The relay's partial indexes (0064_flow.sql) are ordered by priority and
-- id; a row held by a budget until later stayed in them, and every pass
-- walked all the held rows to find the few due ones (thousands per pass on
-- a CA over its rate limits). held rows are in outbox_held, by the time
-- they are due; each relay pass first releases those due (outbox/outbox.c),
-- reading only them. outbox holds the rows of its keep time only: the
-- indexes are built in the migrator's transaction (no CONCURRENTLY).
ALTER TABLE outbox ADD COLUMN held boolean NOT NULL DEFAULT false;
UPDATE outbox SET held = true WHERE sent_at IS NULL AND available_at > now();
DROP INDEX outbox_unsent_issue;
DROP INDEX outbox_unsent_other;
CREATE INDEX outbox_unsent_issue ON outbox (ca, priority DESC, id) WHERE sent_at IS NULL AND issue AND NOT held;
CREATE INDEX outbox_unsent_other ON outbox (priority DESC, id) WHERE sent_at IS NULL AND NOT issue AND NOT held;
CREATE INDEX outbox_held ON outbox (available_at) WHERE sent_at IS NULL AND held;

-- Retention (schedule/retention.c) finds sent rows past their keep time by
-- sent_at, off an index of the sent rows only. It walked outbox by id and,
-- while no sent row was old enough (a fleet younger than the keep time, 7
-- days by default), read the whole table once a second.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
