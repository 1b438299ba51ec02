/* anchors_proven.c -- intermediates proven to chain to a CA's trust anchors, remembered so that the next leaf each one issues costs one signature check. */
#include "anchors_proven.h"

#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* One proven intermediate: the anchors it was proven to (a reference, so
 * the address is never another store's), the certificate, and a store of
 * it alone. */
static struct anchors_proven {
	X509_STORE	*anchors;
	X509		*x;
	X509_STORE	*alone;
	time_t		 until;
} proven[ANCHORS_PROVEN_MAX];
static unsigned proven_next;
static unsigned long proven_hits;
static pthread_mutex_t proven_lock = PTHREAD_MUTEX_INITIALIZER;

static void
proven_clear(struct anchors_proven *p)
{
	X509_STORE_free(p->anchors);
	X509_free(p->x);
	X509_STORE_free(p->alone);
	memset(p, 0, sizeof(*p));
}

X509_STORE *
anchors_proven_find(X509_STORE *anchors, STACK_OF(X509) *rest, time_t now)
{
	X509_STORE *st = NULL;
	X509 *head;
	size_t i;

	if (rest == NULL || sk_X509_num(rest) < 1)
		return NULL;
	head = sk_X509_value(rest, 0);
	pthread_mutex_lock(&proven_lock);
	for (i = 0; i < ANCHORS_PROVEN_MAX; i++) {
		if (proven[i].anchors != anchors || now >= proven[i].until ||
		    X509_cmp(proven[i].x, head) != 0)
			continue;
		if (X509_STORE_up_ref(proven[i].alone) == 1) {
			st = proven[i].alone;
			proven_hits++;
		}
		break;
	}
	pthread_mutex_unlock(&proven_lock);
	return st;
}

/* The time of t as Unix seconds, or 0 when it does not convert. */
static time_t
proven_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* When the issuer of chain[0] stops being trusted unchecked: the first
 * notAfter above the leaf, at most ANCHORS_PROVEN_S from now; 0 when it is
 * not to be remembered (no intermediate, or name constraints above the
 * leaf). */
static time_t
proven_until(STACK_OF(X509) *chain, time_t now)
{
	time_t until = now + ANCHORS_PROVEN_S, na;
	X509 *x;
	int i, n = sk_X509_num(chain);

	if (n < 3)	/* the leaf's issuer is an anchor itself */
		return 0;
	for (i = 1; i < n; i++) {
		x = sk_X509_value(chain, i);
		if (X509_get_ext_by_NID(x, NID_name_constraints, -1) >= 0 ||
		    (na = proven_time(X509_get0_notAfter(x))) <= now)
			return 0;
		if (na < until)
			until = na;
	}
	return until;
}

void
anchors_proven_add(X509_STORE *anchors, STACK_OF(X509) *chain, time_t now)
{
	struct anchors_proven p = { 0 };
	X509 *x;
	size_t i;

	if (chain == NULL || (p.until = proven_until(chain, now)) == 0)
		return;
	x = sk_X509_value(chain, 1);
	if ((p.alone = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(p.alone, x) != 1 || X509_up_ref(x) != 1) {
		X509_STORE_free(p.alone);
		ERR_clear_error();
		return;
	}
	p.x = x;
	if (X509_STORE_up_ref(anchors) != 1) {
		proven_clear(&p);
		return;
	}
	p.anchors = anchors;
	pthread_mutex_lock(&proven_lock);
	for (i = 0; i < ANCHORS_PROVEN_MAX; i++)	/* the same, or a dead one */
		if ((proven[i].anchors == anchors && X509_cmp(proven[i].x,
		    x) == 0) || now >= proven[i].until)
			break;
	if (i == ANCHORS_PROVEN_MAX)
		i = proven_next++ % ANCHORS_PROVEN_MAX;
	proven_clear(&proven[i]);
	proven[i] = p;
	pthread_mutex_unlock(&proven_lock);
}

unsigned long
anchors_proven_hits(void)
{
	unsigned long n;

	pthread_mutex_lock(&proven_lock);
	n = proven_hits;
	pthread_mutex_unlock(&proven_lock);
	return n;
}
