-- 0087_ca_move.sql -- a certificate's CAs can be changed (POST /v1/certificates/{id}/ca, :move): the change is recorded with the CA lists before and after.

-- A fleet leaves a CA (distrusted by the browsers, closing, too slow) by
-- moving its certificates to another: orders waiting at the old CA move
-- with them, renewals go to the new one, and the current certificates are
-- served until they are replaced. certificate_changes records each move.
ALTER TABLE certificate_changes DROP CONSTRAINT certificate_changes_action_check;
ALTER TABLE certificate_changes ADD CONSTRAINT certificate_changes_action_check
	CHECK (action IN ('delete', 'disable', 'enable', 'names', 'ca'));
ALTER TABLE certificate_changes ADD COLUMN cas_before text[];
ALTER TABLE certificate_changes ADD COLUMN cas_after text[];
