-- 0064_flow.sql -- flow control per CA: its circuit breaker, the CA and kind of each outbox row (held at the relay), orders in flight counted off 0017's index, transient failures per order (the backoff step).

-- A CA's circuit breaker (ca/breaker.c). closed: jobs flow; open: the CA's
-- jobs wait in the outbox (or move to the next CA of their certificate)
-- while the coordinator probes its directory every probe_interval seconds;
-- half_open: the directory answered, a few orders go through and the
-- first answer of the CA closes it.
CREATE TABLE ca_health (
	ca		text PRIMARY KEY REFERENCES cas (name),
	state		text NOT NULL DEFAULT 'closed'
			CHECK (state IN ('closed', 'open', 'half_open')),
	failures	integer NOT NULL DEFAULT 0,	-- "CA unavailable" in a row
	opened_at	timestamptz,
	probe_at	timestamptz,
	probe_interval	double precision NOT NULL DEFAULT 5,
	changed_at	timestamptz NOT NULL DEFAULT now(),
	-- the last errors: [{"at": ISO time, "detail": text}], newest first
	errors		jsonb NOT NULL DEFAULT '[]'
);

-- The CA an outbox row's job talks to (NULL: none, or a row older than
-- this migration) and whether it is an issue order (counted against the
-- CA's cap on orders in flight).
ALTER TABLE outbox ADD COLUMN ca text, ADD COLUMN issue boolean NOT NULL DEFAULT false;
UPDATE outbox b SET ca = o.ca, issue = true FROM orders o
	WHERE o.id = b.job_id AND b.sent_at IS NULL;

-- The relay reads unsent rows per CA (issue orders, as many as the CA has
-- room for) and the other jobs apart, so that a CA at its cap with many rows
-- waiting costs a relay pass nothing (outbox/outbox.c).
CREATE INDEX outbox_unsent_issue ON outbox (ca, priority DESC, id) WHERE sent_at IS NULL AND issue;
CREATE INDEX outbox_unsent_other ON outbox (priority DESC, id) WHERE sent_at IS NULL AND NOT issue;

-- Orders in flight at a CA (released to a worker, no result yet) are
-- counted off 0017's orders_in_flight (ca, status), which covers them.

-- Transient failures of an order so far: the step of its backoff schedule
-- (CERTFLEET_RETRY_BACKOFF). Deferrals do not count.
ALTER TABLE orders ADD COLUMN failures integer NOT NULL DEFAULT 0;
