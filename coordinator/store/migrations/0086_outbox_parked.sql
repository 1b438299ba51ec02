-- 0086_outbox_parked.sql -- orders waiting for room in their CA's budget of new orders wait in turn (parked), so that room for one order wakes one, not every order waiting.

-- An issue order that does not fit its CA's orders-per-3-hours budget was
-- held until the oldest counted order left the window: every order held in
-- that window got that same time, so when it came all of them were due at
-- once, each was measured again, one went and the rest were held again,
-- for every order that went (2,000 held: 1,994 measured for one slot,
-- 2026-12-04). Such a row is now parked: held, available_at 'infinity'
-- (out of outbox_held's due range), and the relay wakes, per CA, as many
-- of the oldest parked rows as its budget has room for (outbox/budget.c,
-- BUDGET_UNPARK_SQL), read off this index.
CREATE INDEX outbox_parked ON outbox (ca, priority DESC, id)
	WHERE sent_at IS NULL AND held AND available_at = 'infinity';
