-- 0010_order_fields.sql -- an order carries every choice its job is built from (orders/order.c), copied from its certificate when it is made.
ALTER TABLE orders ADD COLUMN challenge text NOT NULL DEFAULT 'http-01'
	CHECK (challenge IN ('http-01', 'dns-01'));
ALTER TABLE orders ADD COLUMN profile text
	CHECK (profile ~ '^[A-Za-z0-9._-]{1,64}$');
ALTER TABLE orders ADD COLUMN preferred_chain text;

UPDATE orders o SET challenge = c.challenge, profile = c.profile,
	preferred_chain = c.preferred_chain, ca = coalesce(o.ca, c.ca)
	FROM certificates c WHERE c.id = o.certificate;
ALTER TABLE orders ALTER COLUMN ca SET NOT NULL;
