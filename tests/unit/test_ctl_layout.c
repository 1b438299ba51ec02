/* test_ctl_layout.c -- unit tests of layout_read (ctl/layout*.c): certbot live/ + archive/ trees with their links, lego certificates/ directories (bundled or not), and loose PEM files paired by public key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "layout.h"
#include "test_chain.h"

#define DAY 86400L

struct fixture {
	char		 dir[64];
	struct tc	 root, inter, a, b, c;
	char		*root_pem, *inter_pem;
	char		*a_pem, *a_key, *b_pem, *b_key, *c_pem, *c_key;
};

/* path under the fixture's directory, formatted. */
static const char *at(const struct fixture *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *
at(const struct fixture *f, const char *fmt, ...)
{
	static char buf[4][512];
	static int k;
	char rel[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", f->dir, rel);
	return buf[k];
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	time_t now = time(NULL);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ctl_layout.XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    tc_make(&f->root, NULL, tc_key("EC", "P-256"), "Layout Root", NULL,
	    now - DAY, now + 900 * DAY) < 0 ||
	    tc_make(&f->inter, &f->root, tc_key("EC", "P-256"), "Layout Inter",
	    NULL, now - DAY, now + 400 * DAY) < 0 ||
	    tc_make(&f->a, &f->inter, tc_key("EC", "P-256"), "a.test",
	    "DNS:a.test,DNS:www.a.test", now - DAY, now + 80 * DAY) < 0 ||
	    tc_make(&f->b, &f->inter, tc_key("EC", "P-384"), "b.test",
	    "DNS:b.test", now - DAY, now + 80 * DAY) < 0 ||
	    tc_make(&f->c, &f->inter, tc_key("EC", "P-256"), "c.test",
	    "DNS:*.c.test,DNS:c.test", now - DAY, now + 80 * DAY) < 0)
		return -1;
	f->root_pem = tc_cert_pem(&f->root);
	f->inter_pem = tc_cert_pem(&f->inter);
	f->a_pem = tc_cert_pem(&f->a);
	f->a_key = tc_key_pem(&f->a);
	f->b_pem = tc_cert_pem(&f->b);
	f->b_key = tc_key_pem(&f->b);
	f->c_pem = tc_cert_pem(&f->c);
	f->c_key = tc_key_pem(&f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	tc_free(&f->root);
	tc_free(&f->inter);
	tc_free(&f->a);
	tc_free(&f->b);
	tc_free(&f->c);
	free(f->root_pem);
	free(f->inter_pem);
	free(f->a_pem);
	free(f->a_key);
	free(f->b_pem);
	free(f->b_key);
	free(f->c_pem);
	free(f->c_key);
	free(f);
	return 0;
}

static char *
cat2(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	strcpy(s, a);
	strcat(s, b);
	return s;
}

/* A certbot tree as certbot leaves it: archive/<name>/certN.pem...,
 * live/<name>/{cert,chain,fullchain,privkey}.pem relative links to the
 * newest, live/README. */
static void
certbot_tree(const struct fixture *f, const char *top, const char *name,
    const char *cert, const char *chain, const char *key, int version)
{
	static const char *const files[] = { "cert", "chain", "fullchain",
	    "privkey" };
	char *full = cat2(cert, chain), target[128];
	const char *text[4] = { cert, chain, full, key };
	size_t i;

	mkdir(at(f, "%s", top), 0700);
	mkdir(at(f, "%s/archive", top), 0700);
	mkdir(at(f, "%s/live", top), 0700);
	mkdir(at(f, "%s/archive/%s", top, name), 0700);
	mkdir(at(f, "%s/live/%s", top, name), 0700);
	assert_int_equal(tc_write(at(f, "%s/live/README", top), "This directory "
	    "contains your keys and certificates.\n"), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(tc_write(at(f, "%s/archive/%s/%s%d.pem", top, name,
		    files[i], version), text[i]), 0);
		snprintf(target, sizeof(target), "../../archive/%s/%s%d.pem", name,
		    files[i], version);
		unlink(at(f, "%s/live/%s/%s.pem", top, name, files[i]));
		assert_int_equal(symlink(target, at(f, "%s/live/%s/%s.pem", top,
		    name, files[i])), 0);
	}
	free(full);
}

static void
test_certbot(void **state)
{
	struct fixture *f = *state;
	struct layout l;
	char err[256];

	/* a.test renewed once: live/ points at the second version */
	certbot_tree(f, "le", "a.test", f->b_pem, f->inter_pem, f->b_key, 1);
	certbot_tree(f, "le", "a.test", f->a_pem, f->inter_pem, f->a_key, 2);
	certbot_tree(f, "le", "b.test", f->b_pem, f->inter_pem, f->b_key, 1);
	assert_int_equal(layout_read(at(f, "le"), &l, err, sizeof(err)), 0);
	assert_int_equal(l.kind, LAYOUT_CERTBOT);
	assert_string_equal(layout_kind_name(l.kind), "certbot");
	assert_int_equal(l.n, 2);	/* README is not a set */
	assert_string_equal(l.sets[0].name, "a.test");
	assert_null(l.sets[0].error);
	assert_string_equal(l.sets[0].cert, f->a_pem);
	assert_string_equal(l.sets[0].chain, f->inter_pem);
	assert_string_equal(l.sets[0].key, f->a_key);
	assert_string_equal(l.sets[1].name, "b.test");
	assert_string_equal(l.sets[1].cert, f->b_pem);
	layout_free(&l);

	/* its live/ directory, and one live/<name>/, read the same */
	assert_int_equal(layout_read(at(f, "le/live"), &l, err, sizeof(err)), 0);
	assert_int_equal(l.kind, LAYOUT_CERTBOT);
	assert_int_equal(l.n, 2);
	layout_free(&l);
	assert_int_equal(layout_read(at(f, "le/live/b.test"), &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.sets[0].name, "b.test");
	assert_string_equal(l.sets[0].key, f->b_key);
	layout_free(&l);

	/* a link into archive/ that points nowhere: that set's error */
	unlink(at(f, "le/archive/b.test/privkey1.pem"));
	assert_int_equal(layout_read(at(f, "le"), &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_null(l.sets[0].error);
	assert_non_null(l.sets[1].error);
	assert_non_null(strstr(l.sets[1].error, "privkey.pem"));
	layout_free(&l);
}

static void
test_lego(void **state)
{
	struct fixture *f = *state;
	struct layout l;
	char err[256], *full = cat2(f->a_pem, f->inter_pem);

	mkdir(at(f, "lego"), 0700);
	mkdir(at(f, "lego/certificates"), 0700);
	/* bundled (lego's default): the .crt holds the chain */
	tc_write(at(f, "lego/certificates/a.test.crt"), full);
	tc_write(at(f, "lego/certificates/a.test.key"), f->a_key);
	tc_write(at(f, "lego/certificates/a.test.issuer.crt"), f->inter_pem);
	tc_write(at(f, "lego/certificates/a.test.json"), "{\"domain\": "
	    "\"a.test\", \"certUrl\": \"https://ca.test/cert/1\"}");
	/* --no-bundle: the chain is the issuer file; a wildcard's file name */
	tc_write(at(f, "lego/certificates/_.c.test.crt"), f->c_pem);
	tc_write(at(f, "lego/certificates/_.c.test.key"), f->c_key);
	tc_write(at(f, "lego/certificates/_.c.test.issuer.crt"), f->inter_pem);
	tc_write(at(f, "lego/certificates/_.c.test.json"), "{\"domain\": "
	    "\"*.c.test\"}");
	/* a .crt without its key */
	tc_write(at(f, "lego/certificates/b.test.crt"), f->b_pem);
	assert_int_equal(layout_read(at(f, "lego"), &l, err, sizeof(err)), 0);
	assert_int_equal(l.kind, LAYOUT_LEGO);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.sets[0].name, "*.c.test");	/* from the json */
	assert_string_equal(l.sets[0].cert, f->c_pem);
	assert_string_equal(l.sets[0].chain, f->inter_pem);
	assert_string_equal(l.sets[0].key, f->c_key);
	assert_string_equal(l.sets[1].name, "a.test");
	assert_string_equal(l.sets[1].cert, full);
	assert_null(l.sets[1].chain);
	assert_null(l.sets[1].error);
	assert_string_equal(l.sets[2].name, "b.test");
	assert_non_null(l.sets[2].error);
	assert_non_null(strstr(l.sets[2].error, "b.test.key"));
	layout_free(&l);
	/* the certificates/ directory itself */
	assert_int_equal(layout_read(at(f, "lego/certificates"), &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.kind, LAYOUT_LEGO);
	assert_int_equal(l.n, 3);
	layout_free(&l);
	free(full);
}

static void
test_pem_dir(void **state)
{
	struct fixture *f = *state;
	struct layout l;
	char err[256], *full = cat2(f->b_pem, f->inter_pem);
	struct tc stray;

	mkdir(at(f, "pem"), 0700);
	/* a leaf alone, its key, and the chain's certificates beside them */
	tc_write(at(f, "pem/site-a.crt"), f->a_pem);
	tc_write(at(f, "pem/site-a.key"), f->a_key);
	tc_write(at(f, "pem/intermediate.pem"), f->inter_pem);
	tc_write(at(f, "pem/root.pem"), f->root_pem);
	/* a full chain with its key in another file, named otherwise */
	tc_write(at(f, "pem/b-fullchain.pem"), full);
	tc_write(at(f, "pem/zz-key-for-b.pem"), f->b_key);
	/* a certificate and key in one file */
	free(full);
	full = cat2(f->c_key, f->c_pem);
	tc_write(at(f, "pem/c-combined.pem"), full);
	/* a key that nothing is for, and a file that is not PEM */
	assert_int_equal(tc_make(&stray, NULL, tc_key("EC", "P-256"), "x", "",
	    0, 1), 0);
	free(full);
	full = tc_key_pem(&stray);
	tc_write(at(f, "pem/orphan.key"), full);
	tc_write(at(f, "pem/notes.txt"), "not a certificate\n");
	assert_int_equal(layout_read(at(f, "pem"), &l, err, sizeof(err)), 0);
	assert_int_equal(l.kind, LAYOUT_PEMDIR);
	assert_int_equal(l.n, 3);
	/* sorted by the leaf's file name */
	assert_string_equal(l.sets[0].name, "b-fullchain.pem");
	assert_string_equal(l.sets[0].key, f->b_key);
	assert_string_equal(l.sets[0].cert, f->b_pem);
	assert_string_equal(l.sets[0].chain, f->inter_pem);	/* from its file */
	assert_string_equal(l.sets[1].name, "c-combined.pem");
	assert_string_equal(l.sets[1].cert, f->c_pem);
	assert_string_equal(l.sets[1].key, f->c_key);
	assert_string_equal(l.sets[2].name, "site-a.crt");
	assert_string_equal(l.sets[2].cert, f->a_pem);
	/* the intermediate, not the self-signed root */
	assert_string_equal(l.sets[2].chain, f->inter_pem);
	assert_string_equal(l.sets[2].key, f->a_key);
	assert_int_equal(l.nskipped, 1);
	assert_non_null(strstr(l.skipped[0], "orphan.key: a private key that no "
	    "certificate here is for"));
	layout_free(&l);
	free(full);
	tc_free(&stray);
}

static void
test_not_a_directory(void **state)
{
	struct fixture *f = *state;
	struct layout l;
	char err[256];

	assert_int_equal(layout_read(at(f, "nowhere"), &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a directory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certbot),
		cmocka_unit_test(test_lego),
		cmocka_unit_test(test_pem_dir),
		cmocka_unit_test(test_not_a_directory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
