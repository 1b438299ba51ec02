-- 0072_outbox_sent.sql -- retention (schedule/retention.c) finds sent outbox rows past their keep time by sent_at, off an index of the sent rows only.
-- Without it the delete walked outbox by id and, while no sent row was old
-- enough (any fleet younger than the keep time, 7 days by default), read
-- every row of the table once a second (a sequential scan per tick). Built
-- in the migrator's transaction (no CONCURRENTLY): outbox holds only the
-- rows of the keep time, so on an upgraded database the build is short and
-- blocks the relay's writes to outbox for that long only.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
