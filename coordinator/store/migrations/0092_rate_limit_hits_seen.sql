-- 0092_rate_limit_hits_seen.sql -- the timestamp retention deletes rate-limit hits along (schedule/retention.c): hits seen longer ago than CERTFLEET_RATE_LIMIT_HITS_RETENTION_S go, oldest first, a bounded batch a tick.

-- rate_limit_hits grew by a row per 429, 503 or rateLimited answer and was
-- never deleted; its (ca, seen_at) index cannot give the oldest rows of all
-- CAs at once.
CREATE INDEX rate_limit_hits_seen ON rate_limit_hits (seen_at);
