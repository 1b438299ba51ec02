-- 0091_retention_indexes.sql -- the timestamps retention deletes along (schedule/retention.c): budget rows past the budgets' 7-day windows and events applied long ago go, oldest first, a bounded batch a tick.

-- budget_issued grew by a row per key of every certificate issued and was
-- never read past 7 days (outbox/budget.c); processed_events by a row per
-- event applied, needed only while the event can still be delivered again.
CREATE INDEX budget_issued_at ON budget_issued (issued_at);
CREATE INDEX processed_events_at ON processed_events (processed_at);
