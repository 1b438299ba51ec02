-- 0041_order_priority.sql -- orders and outbox rows carry a priority: on-demand orders (ondemand/) leave the outbox before routine renewals.

-- Orders carry a priority (0 routine, higher first); the outbox relay
-- releases higher priorities first, then oldest first.
ALTER TABLE orders ADD COLUMN priority smallint NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN priority smallint NOT NULL DEFAULT 0;
CREATE INDEX outbox_unsent_priority ON outbox (priority DESC, id) WHERE sent_at IS NULL;
