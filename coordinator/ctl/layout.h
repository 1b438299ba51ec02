/* layout.h -- the certificate trees `certfleetctl import` reads: a certbot config directory (live/ + archive/), a lego certificates/ directory, or a directory of PEM certificates and keys matched by public key. */
#ifndef CERTFLEET_CTL_LAYOUT_H
#define CERTFLEET_CTL_LAYOUT_H

#include <stddef.h>

#define LAYOUT_FILE_MAX (256 * 1024)	/* bytes read of one file */
#define LAYOUT_FILES_MAX 100000		/* entries of one directory */
#define LAYOUT_CHAIN_MAX 8		/* issuers put after a leaf */

enum layout_kind {
	LAYOUT_CERTBOT,	/* live/<name>/{cert,chain,fullchain,privkey}.pem */
	LAYOUT_LEGO,	/* certificates/<domain>.{crt,key,issuer.crt,json} */
	LAYOUT_PEMDIR,	/* PEM files, keys paired with certificates */
};

/* One certificate to import. */
struct layout_set {
	char	*name;		/* certbot: its live/ directory's name; lego: the
				 * domain (<domain>.json, else the file name);
				 * PEM directory: the leaf's file name */
	char	*where;		/* the file or directory it came from */
	char	*cert;		/* PEM: the leaf, maybe followed by its chain */
	char	*chain;		/* PEM of the chain when cert lacks it, or NULL */
	char	*key;		/* PEM of the private key (wiped when freed) */
	size_t	 keylen;
	char	*error;		/* not NULL: why this set cannot be read (the
				 * PEM fields may then be NULL) */
};

struct layout {
	enum layout_kind	 kind;
	char			*root;		/* the directory read */
	struct layout_set	*sets;		/* in the order of their names */
	size_t			 n;
	char			**skipped;	/* PEM directory: what matched
						 * nothing, and why */
	size_t			 nskipped;
};

/*
 * Recognizes the layout at path and reads every set in it:
 * - certbot: path holds live/ and archive/ (a certbot config directory such
 *   as /etc/letsencrypt), or is its live/ directory, or one live/<name>/:
 *   a set per live/<name>/ from cert.pem, chain.pem and privkey.pem
 *   (symbolic links into archive/<name>/, followed); other entries of
 *   live/ (README) are not sets;
 * - lego: path holds certificates/, or is a directory holding a
 *   <domain>.issuer.crt: a set per <domain>.crt (not *.issuer.crt) with
 *   <domain>.key; the .crt holds the full chain, and when it holds only the
 *   leaf (lego --no-bundle) <domain>.issuer.crt is the chain; the name is
 *   the "domain" of <domain>.json when it parses, else the file's;
 * - any other directory: every regular file's PEM blocks; each private key
 *   is paired with the certificate of the same public key (the newest when
 *   several), whose chain is the certificates after it in its file, or
 *   else its issuers found among the directory's certificates (nearest
 *   first, self-signed roots left out, at most LAYOUT_CHAIN_MAX); keys and
 *   leaf certificates that pair with nothing are listed in skipped.
 * Files over LAYOUT_FILE_MAX are not read (their set gets an error).
 * Returns 0 with l filled (release with layout_free; a set that cannot be
 * read carries its error and does not fail the call), or -1 with err when
 * path is not a readable directory.
 */
int layout_read(const char *path, struct layout *l, char *err, size_t errlen);
void layout_free(struct layout *l);

/* "certbot", "lego" or "pem". */
const char *layout_kind_name(enum layout_kind k);

#endif
