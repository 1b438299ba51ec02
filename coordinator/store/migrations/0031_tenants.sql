-- 0031_tenants.sql -- tenants and labels on certificates, and per-tenant quotas enforced at enrollment (orders/tenant.c).
CREATE TABLE tenants (
	name			text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
	max_live		bigint CHECK (max_live >= 0),		-- NULL: no limit
	max_orders_per_hour	bigint CHECK (max_orders_per_hour >= 0),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE certificates ADD COLUMN tenant text REFERENCES tenants (name);
ALTER TABLE certificates ADD COLUMN labels jsonb NOT NULL DEFAULT '{}'
	CHECK (jsonb_typeof(labels) = 'object');
CREATE INDEX certificates_tenant ON certificates (tenant, status) WHERE tenant IS NOT NULL;
CREATE INDEX certificates_labels ON certificates USING gin (labels jsonb_path_ops);

-- An order's tenant, copied from its certificate: the per-hour quota counts
-- the tenant's orders off this index.
ALTER TABLE orders ADD COLUMN tenant text;
CREATE INDEX orders_tenant_created ON orders (tenant, created_at) WHERE tenant IS NOT NULL;
