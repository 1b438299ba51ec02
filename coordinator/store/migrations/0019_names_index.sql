-- 0019_names_index.sql -- find the certificates that carry a hostname without scanning every set (GET /v1/certificates?name=).
CREATE INDEX hostname_sets_names_gin ON hostname_sets USING gin (names);
