/* offsets.c -- per-partition queues of in-flight offsets; commit only up to the oldest unfinished job. */
#include "offsets.h"

#include <stdlib.h>
#include <string.h>

#define OFFSETS_MAX_PARTITIONS 4096

struct slot {
	int64_t	offset;
	int	done;
};

/* A growable ring of the partition's in-flight offsets, oldest first. */
struct partq {
	struct slot	*s;
	size_t		 cap, head, len;
	int64_t		 released;	/* commit point not yet returned, or -1 */
};

struct offsets {
	struct partq	*p;
	int32_t		 np;
	uint64_t	 inflight;
};

struct offsets *
offsets_new(void)
{
	return calloc(1, sizeof(struct offsets));
}

void
offsets_free(struct offsets *t)
{
	int32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->np; i++)
		free(t->p[i].s);
	free(t->p);
	free(t);
}

static struct partq *
offsets_part(struct offsets *t, int32_t partition, int create)
{
	struct partq *np;
	int32_t i, n;

	if (partition < 0 || partition >= OFFSETS_MAX_PARTITIONS)
		return NULL;
	if (partition >= t->np) {
		if (!create)
			return NULL;
		n = partition + 1;
		if ((np = realloc(t->p, (size_t)n * sizeof(*np))) == NULL)
			return NULL;
		for (i = t->np; i < n; i++) {
			memset(&np[i], 0, sizeof(np[i]));
			np[i].released = -1;
		}
		t->p = np;
		t->np = n;
	}
	return &t->p[partition];
}

static struct slot *
partq_at(struct partq *q, size_t i)
{
	return &q->s[(q->head + i) % q->cap];
}

int
offsets_add(struct offsets *t, int32_t partition, int64_t offset)
{
	struct partq *q = offsets_part(t, partition, 1);
	struct slot *ns;
	size_t i, ncap;

	if (q == NULL || offset < 0)
		return -1;
	if (q->len > 0 && partq_at(q, q->len - 1)->offset >= offset)
		return -1;
	if (q->len == q->cap) {
		ncap = q->cap == 0 ? 64 : q->cap * 2;
		if ((ns = malloc(ncap * sizeof(*ns))) == NULL)
			return -1;
		for (i = 0; i < q->len; i++)
			ns[i] = *partq_at(q, i);
		free(q->s);
		q->s = ns;
		q->cap = ncap;
		q->head = 0;
	}
	q->s[(q->head + q->len) % q->cap] = (struct slot){ offset, 0 };
	q->len++;
	t->inflight++;
	return 0;
}

int
offsets_done(struct offsets *t, int32_t partition, int64_t offset)
{
	struct partq *q = offsets_part(t, partition, 0);
	struct slot *s;
	size_t lo, hi, mid;

	if (q == NULL || q->len == 0)
		return -1;
	/* Binary search: the queue is sorted by offset. */
	lo = 0;
	hi = q->len;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (partq_at(q, mid)->offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == q->len || (s = partq_at(q, lo))->offset != offset || s->done)
		return -1;
	s->done = 1;
	while (q->len > 0 && partq_at(q, 0)->done) {
		q->released = partq_at(q, 0)->offset + 1;
		q->head = (q->head + 1) % q->cap;
		q->len--;
		t->inflight--;
	}
	return 0;
}

int64_t
offsets_committable(struct offsets *t, int32_t partition)
{
	struct partq *q = offsets_part(t, partition, 0);
	int64_t r;

	if (q == NULL)
		return -1;
	r = q->released;
	q->released = -1;
	return r;
}

void
offsets_drop(struct offsets *t, int32_t partition)
{
	struct partq *q = offsets_part(t, partition, 0);

	if (q == NULL)
		return;
	t->inflight -= q->len;
	free(q->s);
	memset(q, 0, sizeof(*q));
	q->released = -1;
}

uint64_t
offsets_inflight(const struct offsets *t)
{
	return t->inflight;
}
