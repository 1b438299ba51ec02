/* test_anchors.c -- unit tests of the chain check against a CA's trust anchors: trusted, another CA, expired, an anchors file that is missing or holds no certificate, a file changed in place (its store is cached), intermediates proven once and their next leaves. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "anchors.h"
#include "anchors_proven.h"
#include "test_chain.h"
#include "test_coord_ca.h"

static struct testca ours, theirs;
static char dir[64], roots[128], empty[128];

static int
setup(void **state)
{
	FILE *fp;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_anchors.XXXXXX");
	if (mkdtemp(dir) == NULL || testca_new(&ours) < 0 ||
	    testca_new(&theirs) < 0)
		return -1;
	snprintf(roots, sizeof(roots), "%s/roots.pem", dir);
	snprintf(empty, sizeof(empty), "%s/empty.pem", dir);
	if ((fp = fopen(roots, "w")) == NULL)
		return -1;
	fputs("# the CA's roots\n", fp);
	PEM_write_X509(fp, ours.cert);
	fclose(fp);
	if ((fp = fopen(empty, "w")) == NULL)
		return -1;
	fputs("no certificate here\n", fp);
	fclose(fp);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(roots);
	unlink(empty);
	rmdir(dir);
	testca_free(&ours);
	testca_free(&theirs);
	return 0;
}

/* A leaf of ca for a new key, valid from nb to na, as PEM. */
static char *
leaf_of(const struct testca *ca, time_t nb, time_t na)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *names[] = { "www.example.com" }, *pem;
	X509 *x;

	assert_non_null(k);
	assert_non_null(x = testca_issue(ca, k, names, 1, "1234", nb, na));
	pem = testca_pem(x);
	X509_free(x);
	EVP_PKEY_free(k);
	return pem;
}

static void
test_trusted(void **state)
{
	time_t now = time(NULL);
	char *leaf = leaf_of(&ours, now - 60, now + 86400), *top;
	char err[256];

	(void)state;
	top = testca_pem(ours.cert);
	if (anchors_verify(roots, leaf, top, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* the CA need not send its root: the anchor is enough */
	assert_int_equal(anchors_verify(roots, leaf, "", 0, err, sizeof(err)),
	    0);
	free(top);
	free(leaf);
}

/* The leaf matches, the chain is whole, but its root is not ours. */
static void
test_other_ca(void **state)
{
	time_t now = time(NULL);
	char *leaf = leaf_of(&theirs, now - 60, now + 86400), *top;
	char err[256];

	(void)state;
	top = testca_pem(theirs.cert);
	assert_int_equal(anchors_verify(roots, leaf, top, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "does not verify"));
	/* a chain that claims our root does not make it ours */
	free(top);
	top = testca_pem(ours.cert);
	assert_int_equal(anchors_verify(roots, leaf, top, 0, err, sizeof(err)),
	    -1);
	free(top);
	free(leaf);
}

static void
test_expired(void **state)
{
	time_t now = time(NULL);
	char *leaf = leaf_of(&ours, now - 1800, now - 60);
	char err[256];

	(void)state;
	assert_int_equal(anchors_verify(roots, leaf, "", 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "expired"));
	/* at a time it was valid, it verifies */
	assert_int_equal(anchors_verify(roots, leaf, "", (int64_t)now - 900,
	    err, sizeof(err)), 0);
	free(leaf);
}

static void
test_bad_inputs(void **state)
{
	time_t now = time(NULL);
	char *leaf = leaf_of(&ours, now - 60, now + 86400);
	char err[256], path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.pem", dir);
	assert_int_equal(anchors_verify(path, leaf, "", 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing.pem"));
	assert_int_equal(anchors_verify(empty, leaf, "", 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "no PEM certificate"));
	assert_int_equal(anchors_verify(roots, "not a certificate", "", 0, err,
	    sizeof(err)), -1);
	assert_int_equal(anchors_verify(roots, leaf, "-----BEGIN CERTIFICATE-----"
	    "\nAAAA\n-----END CERTIFICATE-----\n", 0, err, sizeof(err)), -1);
	free(leaf);
}

/* write_roots: the roots file holds ca's certificate alone, rewritten in
 * place (same inode, maybe the same size and time stamp). */
static void
write_roots(const struct testca *ca)
{
	FILE *fp;

	assert_non_null(fp = fopen(roots, "r+"));
	assert_int_equal(ftruncate(fileno(fp), 0), 0);
	fputs("# the CA's roots\n", fp);
	PEM_write_X509(fp, ca->cert);
	fclose(fp);
}

/* The store of a file is cached, but a changed file counts at once, even
 * rewritten in place within the same clock tick. */
static void
test_changed_file(void **state)
{
	time_t now = time(NULL);
	char *ours_leaf = leaf_of(&ours, now - 60, now + 86400);
	char *their_leaf = leaf_of(&theirs, now - 60, now + 86400);
	char err[256];
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {	/* the cached store answers the same */
		assert_int_equal(anchors_verify(roots, ours_leaf, "", 0, err,
		    sizeof(err)), 0);
		assert_int_equal(anchors_verify(roots, their_leaf, "", 0, err,
		    sizeof(err)), -1);
	}
	write_roots(&theirs);
	assert_int_equal(anchors_verify(roots, their_leaf, "", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(anchors_verify(roots, ours_leaf, "", 0, err,
	    sizeof(err)), -1);
	write_roots(&ours);
	assert_int_equal(anchors_verify(roots, ours_leaf, "", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(anchors_verify(roots, their_leaf, "", 0, err,
	    sizeof(err)), -1);
	/* a file that no longer holds a certificate fails at once too */
	assert_int_equal(anchors_verify(empty, ours_leaf, "", 0, err,
	    sizeof(err)), -1);
	free(ours_leaf);
	free(their_leaf);
}

/* A root, an intermediate under it and leaves under the intermediate. */
struct proven_pki {
	struct tc	root, inter, other, nc;
	char		path[160], *inter_pem, *other_pem, *nc_pem;
};

/* Writes certificate x alone to path, as PEM. */
static void
proven_write(const char *path, X509 *x)
{
	char *pem = testca_pem(x);

	assert_int_equal(tc_write(path, pem), 0);
	free(pem);
}

static char *
proven_leaf(const struct tc *issuer, const char *cn, time_t na)
{
	struct tc l;
	char *pem;

	assert_int_equal(tc_make(&l, issuer, tc_key("EC", "P-256"), cn,
	    "DNS:leaf.test", time(NULL) - 3600, na), 0);
	pem = tc_cert_pem(&l);
	tc_free(&l);
	return pem;
}

static void
proven_pki_new(struct proven_pki *k)
{
	time_t now = time(NULL), na = now + 86400;

	memset(k, 0, sizeof(*k));
	assert_int_equal(tc_make(&k->root, NULL, tc_key("EC", "P-256"),
	    "Proven Root", NULL, now - 7200, na), 0);
	assert_int_equal(tc_make(&k->inter, &k->root, tc_key("EC", "P-256"),
	    "Proven Intermediate", NULL, now - 7200, na), 0);
	/* the same name under the same root, another key */
	assert_int_equal(tc_make(&k->other, &k->root, tc_key("EC", "P-256"),
	    "Proven Intermediate", NULL, now - 7200, na), 0);
	/* an intermediate with name constraints, signed again with them */
	assert_int_equal(tc_make(&k->nc, &k->root, tc_key("EC", "P-256"),
	    "Constrained Intermediate", NULL, now - 7200, na), 0);
	tc_ext(k->nc.cert, k->root.cert, NID_name_constraints,
	    "critical,permitted;DNS:leaf.test");
	assert_true(X509_sign(k->nc.cert, k->root.key, EVP_sha256()) > 0);
	snprintf(k->path, sizeof(k->path), "%s/proven.pem", dir);
	k->inter_pem = tc_cert_pem(&k->inter);
	k->other_pem = tc_cert_pem(&k->other);
	k->nc_pem = tc_cert_pem(&k->nc);
	proven_write(k->path, k->root.cert);
}

static void
proven_pki_free(struct proven_pki *k)
{
	unlink(k->path);
	free(k->inter_pem);
	free(k->other_pem);
	free(k->nc_pem);
	tc_free(&k->root);
	tc_free(&k->inter);
	tc_free(&k->other);
	tc_free(&k->nc);
}

/* The second leaf under an intermediate is checked against it alone
 * (one hit); a leaf under another key of the same name, or expired, is
 * still refused; a changed anchors file knows no proven intermediate; one
 * with name constraints is never remembered. */
static void
test_proven_intermediate(void **state)
{
	struct proven_pki k;
	time_t now = time(NULL);
	char *l1, *l2, *forged, *old, *n1, *n2, err[256];
	unsigned long hits = anchors_proven_hits();

	(void)state;
	proven_pki_new(&k);
	l1 = proven_leaf(&k.inter, "l1", now + 3600);
	l2 = proven_leaf(&k.inter, "l2", now + 3600);
	forged = proven_leaf(&k.other, "forged", now + 3600);
	old = proven_leaf(&k.inter, "old", now - 60);
	if (anchors_verify(k.path, l1, k.inter_pem, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(anchors_proven_hits(), hits);	/* a full check */
	if (anchors_verify(k.path, l2, k.inter_pem, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(anchors_proven_hits(), hits + 1);
	/* not signed by the proven intermediate's key: refused */
	assert_int_equal(anchors_verify(k.path, forged, k.inter_pem, 0, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "does not verify"));
	assert_int_equal(anchors_verify(k.path, old, k.inter_pem, 0, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "expired"));
	/* under its own intermediate, the other key's leaf verifies */
	assert_int_equal(anchors_verify(k.path, forged, k.other_pem, 0, err,
	    sizeof(err)), 0);

	/* another root in the file: nothing proven under the old one counts */
	proven_write(k.path, theirs.cert);
	hits = anchors_proven_hits();
	assert_int_equal(anchors_verify(k.path, l2, k.inter_pem, 0, err,
	    sizeof(err)), -1);
	assert_int_equal(anchors_proven_hits(), hits);

	/* name constraints above the leaf: every leaf checked in full */
	proven_write(k.path, k.root.cert);
	n1 = proven_leaf(&k.nc, "n1", now + 3600);
	n2 = proven_leaf(&k.nc, "n2", now + 3600);
	hits = anchors_proven_hits();
	assert_int_equal(anchors_verify(k.path, n1, k.nc_pem, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(anchors_verify(k.path, n2, k.nc_pem, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(anchors_proven_hits(), hits);
	free(n1);
	free(n2);
	free(l1);
	free(l2);
	free(forged);
	free(old);
	proven_pki_free(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_other_ca),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_changed_file),
		cmocka_unit_test(test_proven_intermediate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
