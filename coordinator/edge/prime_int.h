/* prime_int.h -- shared by primer.c (the pass over targets), prime_write.c (rows into Redis commands) and prime_check.c (the periodic comparison); no other folder includes it. */
#ifndef CERTFLEET_COORD_PRIME_INT_H
#define CERTFLEET_COORD_PRIME_INT_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "ids.h"
#include "prime_conf.h"
#include "vault.h"

#define PRIME_BATCH		5000	/* rows per query and pipeline */
#define PRIME_SLICE_MS		1000	/* work per target per tick, then the next */
#define PRIME_FLUSH_ROWS	64	/* rows queued between writes to Redis */
#define PRIME_INFLIGHT_MAX	40000	/* commands sent, replies not read */
#define PRIME_CONNECT_MS	500	/* connect (and AUTH, SELECT), per target */
#define PRIME_TIMEOUT_MS	2000	/* each reply, per target */
#define PRIME_BACKOFF_MAX_MS	8000	/* a target that fails waits 1, 2, 4, 8 s */
#define PRIME_CHECK_EVERY_MS	1000	/* one comparison step per target */
#define PRIME_CHECK_BATCH	200	/* names per comparison step (no TTL) */
#define PRIME_SWEEP_COUNT	500	/* SCAN COUNT per comparison step */
#define PRIME_NAME_MAX		255	/* a DNS name; longer rows are skipped */
#define PRIME_CHAIN_ID_LEN	32
#define PRIME_CHAINS_MAX	64	/* chain PEMs cached */
#define PRIME_PRUNE_EVERY_MS	10000
/* The fleet's hold on a target (REDISKEYS_PRIME_OWNER): its TTL, and how
 * often a coordinator that holds it renews it. */
#define PRIME_LEASE_S		30
#define PRIME_LEASE_RENEW_MS	10000
#define PRIME_FLEET_LEN		64	/* fleet.id: a UUID, 36 characters */

/* Errors of a step: the target's Redis failed (drop it, back off), or the
 * database did (the pass stops; the main loop reconnects). */
#define PRIME_EREDIS	(-1)
#define PRIME_EDB	(-2)

/* The columns every row query selects, in this order (PRIME_COL_*). */
#define PRIME_ROW_REST \
	"en.name, en.issued_certificate, en.private_key, en.chain_id, " \
	"ic.cert_pem, pk.key_ciphertext, pk.key_nonce, pk.key_tag, pk.key_id"
#define PRIME_ROW_COLS	"en.seq, " PRIME_ROW_REST
/* the same for a result in binary format (db_send_binary): seq as text */
#define PRIME_ROW_COLS_BIN "en.seq::text, " PRIME_ROW_REST
#define PRIME_ROW_FROM \
	"FROM edge_names en LEFT JOIN issued_certificates ic ON ic.id = " \
	"en.issued_certificate LEFT JOIN private_keys pk ON pk.id = " \
	"en.private_key "
enum {
	PRIME_COL_SEQ, PRIME_COL_NAME, PRIME_COL_IC, PRIME_COL_PK,
	PRIME_COL_CHAIN, PRIME_COL_CERT, PRIME_COL_BOX,
};

struct prime_chain {
	char	 id[PRIME_CHAIN_ID_LEN + 1];
	char	*pem;
};

/* One Redis target and what this process knows of it. */
struct prime_target {
	const struct prime_target_conf *conf;
	redisContext	*rc;
	size_t		 inflight;	/* commands sent whose replies wait */
	uint64_t	 retry_at;	/* clock_mono_ms: no attempt before */
	int		 backoff_ms;
	int		 down;		/* logged as unreachable */
	uint64_t	 lease_renew_at;	/* clock_mono_ms: the owner key is
					 * ours until then; 0: not held */
	int		 other_fleet;	/* another fleet held it, last asked */
	/* its prime_targets row, read at the start of each pass */
	char		 generation[IDS_LEN + 1];	/* "" when NULL */
	long long	 applied_seq;
	int		 resyncing;
	long long	 resync_seq;	/* the last edge_names.seq written */
	long long	 resync_names;
	double		 resync_started;	/* epoch seconds */
	int		 caught_up;	/* the last stream query came back short */
	/* the periodic comparison (in memory: a restart begins a new cycle) */
	uint64_t	 next_check;
	uint64_t	 cycle_started;
	long long	 check_seq;	/* the last edge_names.seq compared */
	int		 names_done;	/* every name of this cycle compared */
	long long	 cycle_total;	/* live names when the cycle began */
	long long	 cycle_checked, cycle_repaired, cycle_swept;
	unsigned long long scan_cursor;
	int		 scan_wrapped;	/* the SCAN of this cycle is complete */
};

struct primer {
	struct prime_conf	pc;
	struct prime_target	t[PRIME_TARGETS_MAX];
	struct prime_chain	chains[PRIME_CHAINS_MAX];
	size_t			nchains;
	unsigned long		chain_evictions;	/* cache emptied when full */
	int			registered;	/* prime_targets rows made */
	char			fleet[PRIME_FLEET_LEN + 1];	/* fleet.id */
	int			no_expiries;	/* no edge_expiries rows (no edge) */
	uint64_t		last_prune;
};

/* What the owner key of a target says, read right after a SET NX of
 * fleet: PRIME_LEASE_OURS when the SET took it (set_ok) or owner is fleet;
 * PRIME_LEASE_FOREIGN when owner is another fleet's; PRIME_LEASE_GONE when
 * the SET failed yet the key is missing (it lapsed in between: ask again).
 * Pure: unit-tested. */
enum { PRIME_LEASE_OURS, PRIME_LEASE_FOREIGN, PRIME_LEASE_GONE };
int prime_lease_judge(const char *fleet, int set_ok, const char *owner);

/* Writes the names of rows of r (those with mask[row] set, or all when
 * mask is NULL) into t's Redis in the configured styles: a row with an
 * issued certificate is written (c:, p:, i: once per batch, d1:, d2:),
 * one without is deleted (d1:, d2:). publish: PUBLISH each name on
 * REDISKEYS_CHANNEL_CHANGED. fix_ttl: also PERSIST the hashes when no TTL is
 * configured (the comparison found one). A row whose key does not open is
 * logged and skipped. Returns the number of names written or deleted, or
 * PRIME_EREDIS / PRIME_EDB with err. */
int prime_write_rows(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, const PGresult *r, const unsigned char *mask,
    int publish, int fix_ttl, char *err, size_t errlen);

/* prime_write_rows without waiting for the replies: the commands are sent
 * to t every PRIME_FLUSH_ROWS rows (prime_pump) and counted in t->inflight;
 * the replies that came meanwhile are read as it goes, so Redis never waits
 * for the writer nor the writer for Redis. prime_wait reads the rest.
 * Returns the names queued, or PRIME_EREDIS / PRIME_EDB (then t's
 * connection holds unread replies: the caller drops it). */
int prime_queue_rows(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, const PGresult *r, const unsigned char *mask,
    int publish, int fix_ttl, char *err, size_t errlen);

/* Writes everything queued in t's hiredis buffer to the socket. hiredis
 * 0.14 moves the unsent rest of its buffer after every write(2), so a
 * pipeline of megabytes is sent in small pieces as it is built, never at
 * once. Returns 0, or PRIME_EREDIS with err. */
int prime_flush(redisContext *rc, char *err, size_t errlen);

/* One step of t's pipeline: what is queued is written, the replies
 * already arrived are read (without waiting), then more (waiting) while
 * over PRIME_INFLIGHT_MAX commands are in flight. Returns 0, or
 * PRIME_EREDIS with err (a reply was an error, or the connection failed). */
int prime_pump(struct prime_target *t, char *err, size_t errlen);

/* Reads every reply t->inflight still waits for; 0 when none is an error,
 * else PRIME_EREDIS with the first error in err. */
int prime_wait(struct prime_target *t, char *err, size_t errlen);

/* The chains of r's rows in the cache (so that queueing them needs no
 * query). Returns 0; 1 when they do not all fit in the cache at once (the
 * caller then queries nothing else while queueing); or PRIME_EDB. */
int prime_chains_load(struct primer *p, PGconn *c, const PGresult *r,
    char *err, size_t errlen);

/* Reads n replies; 0 when all came and none is an error, else PRIME_EREDIS
 * with the first error in err. */
int prime_drain(redisContext *rc, size_t n, char *err, size_t errlen);

/* Of keys[0..n) (d1:, d2:, c:, p:, i: keys), deletes from t's Redis those
 * that edge_names no longer calls for in the configured styles (PUBLISHing
 * the names of deleted d1:/d2: keys). Returns how many were deleted, or
 * PRIME_EREDIS / PRIME_EDB with err. */
int prime_sweep_keys(struct primer *p, struct prime_target *t, PGconn *c,
    char *const *keys, size_t n, char *err, size_t errlen);

/* The key PEM of row opened from the vault (wipe it with
 * vault_plain_free), or NULL when it does not open (logged). */
char *prime_row_key(const PGresult *r, int row, const struct vault *v,
    size_t *len);

/* The PEM of chain id (cached), or NULL with err (PRIME_EDB). */
const char *prime_chain_pem(struct primer *p, PGconn *c, const char *id,
    char *err, size_t errlen);

/* One step of t's periodic comparison, when due: PRIME_CHECK_BATCH names
 * (more with a TTL: every name within a quarter of it) compared with
 * edge_names and repaired, TTLs refreshed, then PRIME_SWEEP_COUNT keys of
 * a SCAN whose unused ones are deleted. Returns 0, or PRIME_EREDIS /
 * PRIME_EDB with err. */
int prime_check_step(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, char *err, size_t errlen);

#endif
