-- 0088_renewal_failures.sql -- renewals refused for good back off: certificates count their renewals that failed for good in a row.

-- A renewal the CA refuses for good (the name no longer points at the
-- fleet: unauthorized, incorrectResponse, caa, rejectedIdentifier...) used
-- to come back at the renewal tick's one-hour lease, 24 failed orders a day
-- for each departed name, each spending the account's new-order budget at
-- renewal priority. The count sets the next attempt (CERTFLEET_RENEW_BACKOFF:
-- an hour, six, then daily), drops the renewal's priority below new
-- certificates', and stops renewing once the current certificate has
-- expired. A certificate issued again starts from 0.
ALTER TABLE certificates ADD COLUMN renewal_failures integer NOT NULL DEFAULT 0;
