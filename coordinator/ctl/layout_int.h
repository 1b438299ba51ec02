/* layout_int.h -- private to layout*.c: files, directory listings and sets shared by the certbot, lego and PEM directory readers. */
#ifndef CERTFLEET_CTL_LAYOUT_INT_H
#define CERTFLEET_CTL_LAYOUT_INT_H

#include <stddef.h>

#include "layout.h"

/* dir + "/" + name, malloc'd; NULL when memory runs out. */
char *layout_join(const char *dir, const char *name);

/* 1 when path is a directory (links followed), else 0; likewise a file. */
int layout_is_dir(const char *path);
int layout_is_file(const char *path);

/* Reads the file at path (links followed) of at most LAYOUT_FILE_MAX bytes,
 * NUL-terminated, *len set. Returns it (malloc'd), or NULL with err naming
 * the file; a file holding a NUL byte is refused too. */
char *layout_slurp(const char *path, size_t *len, char *err, size_t errlen);

/* Wipes and frees a buffer read by layout_slurp; NULL is fine. */
void layout_wipe(char *p, size_t len);

/* The names in dir (not "." and "..", nor dot files), sorted, at most
 * LAYOUT_FILES_MAX. Returns 0 with *names (layout_names_free), or -1. */
int layout_list(const char *dir, char ***names, size_t *n, char *err,
    size_t errlen);
void layout_names_free(char **names, size_t n);

/* Appends a set named name from where (both copied); NULL when memory
 * runs out. */
struct layout_set *layout_add(struct layout *l, const char *name,
    const char *where);

/* Gives set s its error (formatted, copied) unless it has one. */
void layout_set_error(struct layout_set *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Adds a line to l->skipped. 0, or -1 when memory runs out. */
int layout_skip(struct layout *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* 1 when name ends with suffix (and is longer). */
int layout_ends(const char *name, const char *suffix);

/* Reads file name of dir into *out (*outlen its length when not NULL):
 * when required, set s's error when it cannot be read; otherwise a
 * missing file leaves *out NULL. */
void layout_read_file(struct layout_set *s, const char *dir,
    const char *name, int required, char **out, size_t *outlen);

/* The readers of the trees ACME clients leave (layout_clients.c): a set per
 * live/<name>/ of certbot's live directory; a set per <domain>.crt of
 * lego's certificates/ directory. 0, or -1 with err. */
int layout_certbot(const char *live, struct layout *l, char *err,
    size_t errlen);
int layout_lego(const char *dir, struct layout *l, char *err, size_t errlen);

/* 1 when dir holds a file named *.issuer.crt: lego's certificates/. */
int layout_looks_lego(const char *dir);

/* The PEM directory reader (layout_pem.c): every key of dir paired with
 * its certificate. 0, or -1 with err. */
int layout_pemdir(const char *dir, struct layout *l, char *err,
    size_t errlen);

#endif
