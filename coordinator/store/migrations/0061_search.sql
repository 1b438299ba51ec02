-- 0061_search.sql -- search at a million certificates (api/searchq.c): what the current certificate says copied onto certificates, names and labels in tables of their own, SHA-1 in chains, and an index behind every filter.
-- Every filter's first page must be an index scan that reads about one
-- page of rows: equality filters have a (column, created_at, id) index
-- walked newest first; range filters (expiry, renewal, name prefix and
-- suffix) are listed in the order of their own index. Triggers keep the
-- copies right whoever writes the rows.

-- SHA-1 signature on a certificate of the served chain (leaf and
-- intermediates; a self-signed root's own signature is never checked by a
-- client, so it does not count). NULL: not looked at yet; the coordinator
-- fills it when it stores a certificate, and backfills older rows
-- (chains_sha1_backfill) through this index.
ALTER TABLE issued_certificates ADD COLUMN sha1_in_chain boolean;
CREATE INDEX issued_certificates_sha1_unknown ON issued_certificates (created_at)
	WHERE sha1_in_chain IS NULL;

-- Copies of the current issued certificate's fields, for search.
ALTER TABLE certificates ADD COLUMN not_after timestamptz;
ALTER TABLE certificates ADD COLUMN issuer text;
ALTER TABLE certificates ADD COLUMN sha1_in_chain boolean;

-- A new certificate has no current one yet (its issued certificate refers
-- to it), so only updates matter.
CREATE FUNCTION certfleet_certificate_current() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.current_issued IS NULL THEN
		NEW.not_after := NULL;
		NEW.issuer := NULL;
		NEW.sha1_in_chain := NULL;
	ELSE
		SELECT ic.not_after, ic.issuer, ic.sha1_in_chain
		INTO NEW.not_after, NEW.issuer, NEW.sha1_in_chain
		FROM issued_certificates ic WHERE ic.id = NEW.current_issued;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER certificates_current BEFORE UPDATE OF current_issued
	ON certificates FOR EACH ROW
	WHEN (NEW.current_issued IS DISTINCT FROM OLD.current_issued)
	EXECUTE FUNCTION certfleet_certificate_current();

-- The SHA-1 check of an issued certificate reaches its certificate when it
-- is the current one.
CREATE FUNCTION certfleet_issued_sha1() RETURNS trigger LANGUAGE plpgsql
	AS $$
BEGIN
	UPDATE certificates SET sha1_in_chain = NEW.sha1_in_chain
	WHERE id = NEW.certificate AND current_issued = NEW.id
	    AND sha1_in_chain IS DISTINCT FROM NEW.sha1_in_chain;
	RETURN NULL;
END
$$;
CREATE TRIGGER issued_certificates_sha1 AFTER UPDATE OF sha1_in_chain
	ON issued_certificates FOR EACH ROW
	WHEN (NEW.sha1_in_chain IS DISTINCT FROM OLD.sha1_in_chain)
	EXECUTE FUNCTION certfleet_issued_sha1();

UPDATE certificates c SET not_after = ic.not_after, issuer = ic.issuer
	FROM issued_certificates ic WHERE ic.id = c.current_issued;

-- Every name of every certificate, for exact, prefix and suffix lookups.
-- COLLATE "C": byte order, whatever the database's locale, so that a
-- prefix is a range of the index and reverse(name) one of the other.
CREATE TABLE certificate_names (
	name		text COLLATE "C" NOT NULL,
	certificate	text NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
	PRIMARY KEY (name, certificate)
);
CREATE INDEX certificate_names_reversed ON certificate_names (reverse(name), certificate);
-- (certificate, name): a certificate's other matching names are looked up
-- from the index alone (one row per certificate under a name order).
CREATE INDEX certificate_names_certificate ON certificate_names (certificate, name);

CREATE FUNCTION certfleet_certificate_names() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		DELETE FROM certificate_names WHERE certificate = NEW.id;
	END IF;
	INSERT INTO certificate_names (name, certificate)
	SELECT DISTINCT n, NEW.id FROM hostname_sets hs, unnest(hs.names) n
	WHERE hs.id = NEW.hostname_set;
	RETURN NULL;
END
$$;
CREATE TRIGGER certificates_names AFTER INSERT ON certificates FOR EACH ROW
	EXECUTE FUNCTION certfleet_certificate_names();
CREATE TRIGGER certificates_names_changed AFTER UPDATE OF hostname_set
	ON certificates FOR EACH ROW
	WHEN (NEW.hostname_set IS DISTINCT FROM OLD.hostname_set)
	EXECUTE FUNCTION certfleet_certificate_names();

INSERT INTO certificate_names (name, certificate)
SELECT DISTINCT n, c.id FROM certificates c
	JOIN hostname_sets hs ON hs.id = c.hostname_set, unnest(hs.names) n;

-- Every label of every certificate, with the certificate's created_at: a
-- label is listed newest first straight off its index.
CREATE TABLE certificate_labels (
	key		text NOT NULL,
	value		text NOT NULL,
	created_at	timestamptz NOT NULL,
	certificate	text NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
	PRIMARY KEY (key, value, created_at, certificate)
);
CREATE INDEX certificate_labels_certificate ON certificate_labels (certificate);

CREATE FUNCTION certfleet_certificate_labels() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		DELETE FROM certificate_labels WHERE certificate = NEW.id;
	END IF;
	INSERT INTO certificate_labels (key, value, created_at, certificate)
	SELECT l.key, l.value, NEW.created_at, NEW.id
	FROM jsonb_each_text(NEW.labels) l;
	RETURN NULL;
END
$$;
-- (an enrollment without labels runs no trigger at all)
CREATE TRIGGER certificates_labels AFTER INSERT ON certificates FOR EACH ROW
	WHEN (NEW.labels <> '{}'::jsonb)
	EXECUTE FUNCTION certfleet_certificate_labels();
CREATE TRIGGER certificates_labels_changed AFTER UPDATE OF labels
	ON certificates FOR EACH ROW WHEN (NEW.labels IS DISTINCT FROM OLD.labels)
	EXECUTE FUNCTION certfleet_certificate_labels();

INSERT INTO certificate_labels (key, value, created_at, certificate)
SELECT l.key, l.value, c.created_at, c.id
FROM certificates c, jsonb_each_text(c.labels) l;

-- Newest first, and each equality filter newest first within its value.
-- (created_at, id) ascending, walked backwards, serves ORDER BY created_at
-- DESC, id DESC and the cursor (created_at, id) < (...).
DROP INDEX certificates_created;
CREATE INDEX certificates_created ON certificates (created_at, id);
CREATE INDEX certificates_search_status ON certificates (status, created_at, id);
CREATE INDEX certificates_search_ca ON certificates (ca, created_at, id);
CREATE INDEX certificates_search_key_type ON certificates (key_type, created_at, id);
CREATE INDEX certificates_search_tenant ON certificates (tenant, created_at, id)
	WHERE tenant IS NOT NULL;
CREATE INDEX certificates_search_issuer ON certificates (issuer, created_at, id)
	WHERE issuer IS NOT NULL;
CREATE INDEX certificates_search_problem ON certificates (last_problem_type, created_at, id)
	WHERE last_problem_type IS NOT NULL;
CREATE INDEX certificates_search_sha1 ON certificates (created_at, id)
	WHERE sha1_in_chain;
-- Range filters, in their own order.
CREATE INDEX certificates_search_not_after ON certificates (not_after, id)
	WHERE not_after IS NOT NULL;
-- Replaces (renew_at): the renewal tick walks it as before, and a search
-- for renewals due pages through it by (renew_at, id).
DROP INDEX certificates_renew_at;
CREATE INDEX certificates_renew_at ON certificates (renew_at, id)
	WHERE renew_at IS NOT NULL;
