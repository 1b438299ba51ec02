-- 0015_peter_sslers.sql -- peter_sslers edges: the queue of cache expiries their expire route is called with (edge/expire.c), and name lookups for config.json.

-- One row per change an edge must hear about: the names of a certificate that
-- was just primed into Redis, or just withdrawn from it. Filled by the
-- trigger below, in the transaction that sets primed_at or unprimed_at, so a
-- crash between priming and the expire calls loses nothing.
CREATE TABLE edge_expiries (
	id		bigserial PRIMARY KEY,
	issued_certificate text NOT NULL,
	names		text[] NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Which configured edge (its URL without user and password) has taken which
-- change. A change whose every configured edge has a row here is deleted.
CREATE TABLE edge_expiry_sent (
	expiry		bigint NOT NULL REFERENCES edge_expiries (id) ON DELETE CASCADE,
	edge		text NOT NULL,
	sent_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (expiry, edge)
);

-- First priming (primed_at NULL -> set) and withdrawal (unprimed_at NULL ->
-- set) are changes; re-setting a timestamp already set is not.
CREATE FUNCTION certfleet_edge_expiry() RETURNS trigger LANGUAGE plpgsql
	AS $$
BEGIN
	IF (OLD.primed_at IS NULL AND NEW.primed_at IS NOT NULL) OR
	    (OLD.unprimed_at IS NULL AND NEW.unprimed_at IS NOT NULL) THEN
		INSERT INTO edge_expiries (issued_certificate, names)
		VALUES (NEW.id, NEW.sans);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER issued_certificates_edge_expiry
	AFTER UPDATE OF primed_at, unprimed_at ON issued_certificates
	FOR EACH ROW EXECUTE FUNCTION certfleet_edge_expiry();

-- GET /.well-known/admin/domain/{name}/config.json finds the sets holding a
-- name through this index, whatever the number of sets.
CREATE INDEX hostname_sets_names ON hostname_sets USING gin (names);
