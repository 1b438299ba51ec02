-- 0065_set_based_name_triggers.sql -- the names and labels of new certificates copied once per statement (a transition table), not once per row: a bulk batch inserts its certificates in one statement.
-- 0061_search.sql copied them with a row trigger each: a PL/pgSQL call and
-- two INSERTs per certificate. The statement trigger below writes the same
-- rows (every name of the certificate's hostname set; every label with the
-- certificate's created_at) for all the certificates a statement inserted,
-- whoever inserts them. Updates keep their row triggers (a column list,
-- which a transition table cannot have).
CREATE FUNCTION certfleet_certificates_inserted() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO certificate_names (name, certificate)
	SELECT DISTINCT n, c.id FROM new_certificates c
	JOIN hostname_sets hs ON hs.id = c.hostname_set, unnest(hs.names) n;
	INSERT INTO certificate_labels (key, value, created_at, certificate)
	SELECT l.key, l.value, c.created_at, c.id
	FROM new_certificates c, jsonb_each_text(c.labels) l
	WHERE c.labels <> '{}'::jsonb;
	RETURN NULL;
END
$$;
DROP TRIGGER certificates_names ON certificates;
DROP TRIGGER certificates_labels ON certificates;
CREATE TRIGGER certificates_inserted AFTER INSERT ON certificates
	REFERENCING NEW TABLE AS new_certificates FOR EACH STATEMENT
	EXECUTE FUNCTION certfleet_certificates_inserted();
