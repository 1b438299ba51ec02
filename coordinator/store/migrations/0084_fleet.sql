-- 0084_fleet.sql -- the fleet this database is: an id made once, which the primer holds in each Redis target's owner key, so a coordinator of another database never writes into a target this fleet primes.

-- Two fleets whose coordinators prime the same Redis database (a staging
-- coordinator pointed at production's Redis, a new database beside an old
-- one that still runs) each took the other's generation marker for a lost
-- Redis: a full re-prime every pass, and the periodic comparison deleting
-- the other fleet's keys as unused, so both fleets' edges went dark by
-- turns. The id is random and copied with the database (a restore is the
-- same fleet); one row, always.
CREATE TABLE fleet (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	id		text NOT NULL DEFAULT gen_random_uuid()::text,
	created_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO fleet DEFAULT VALUES;
