-- 0081_drop_api_audit_at.sql -- the audit log's index by time, which no statement reads, written by every audited call (every single enrollment).
-- api_audit_at (0063_api_tokens_audit.sql) would serve a listing by time;
-- GET /v1/audit (api/api_audit.c) pages by id (id < before, newest first:
-- the primary key read backwards) and by token (api_audit_token), and no
-- other statement reads api_audit. `at` stays a column, written and
-- listed as before.
DROP INDEX IF EXISTS api_audit_at;
