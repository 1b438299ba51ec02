-- 0076_drop_unused_indexes.sql -- two indexes no query reads, paid for by every enrollment's insert: the GIN of certificates.labels and outbox_unsent_priority.
-- certificates_labels (0031_tenants.sql) indexed the labels for a search
-- by label; that search reads certificate_labels (0061_search.sql, kept by
-- the certificates' triggers) since, and no statement of the coordinator
-- tests labels with @>. A GIN entry is still written for every new
-- certificate, labels or none (an empty object is indexed as an empty item).
DROP INDEX IF EXISTS certificates_labels;

-- outbox_unsent_priority (0041_order_priority.sql) was the relay's order
-- before it split its select into outbox_unsent_issue and
-- outbox_unsent_other (0064_flow.sql, 0073_outbox_held.sql); the backlog
-- gauges (ops/fleet.c) read outbox_unsent.
DROP INDEX IF EXISTS outbox_unsent_priority;
