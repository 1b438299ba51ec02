-- 0028_account_directory.sql -- an ACME account belongs to the directory it was registered at, not to a CA name: a CA pointed at another directory gets a new account, and every order remembers the account its job was built for.

-- The directory the account lives at (rows older than this migration: their
-- CA's directory, the only one they can have been registered at).
ALTER TABLE acme_accounts ADD COLUMN directory_url text;
UPDATE acme_accounts a SET directory_url = ca.directory_url
	FROM cas ca WHERE ca.name = a.ca;
ALTER TABLE acme_accounts ALTER COLUMN directory_url SET NOT NULL;

-- One account per CA and directory. The CA's current account is the one at
-- cas.directory_url; the others are kept for the certificates they issued
-- (revocation goes to the directory and account that issued).
DROP INDEX acme_accounts_ca;
CREATE UNIQUE INDEX acme_accounts_ca_directory ON acme_accounts (ca, directory_url);

-- The account the order's latest job was built for (NULL: never published).
ALTER TABLE orders ADD COLUMN account text REFERENCES acme_accounts (id);
UPDATE orders o SET account = a.id FROM acme_accounts a WHERE a.ca = o.ca;
