/* netlist.h -- a list of client networks (CIDR, IPv4 and IPv6) read from the environment, and the test of an address against it. */
#ifndef CERTFLEET_COORD_NETLIST_H
#define CERTFLEET_COORD_NETLIST_H

#include <stddef.h>

#include <sys/socket.h>

#define NETLIST_MAX 64		/* networks in one list */
#define NETLIST_TEXT_MAX 4096	/* bytes of the list as written */

struct netlist_net {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network address, host bits zero */
	int		bits;		/* prefix length */
};

struct netlist {
	size_t			n;
	struct netlist_net	net[NETLIST_MAX];
};

/* Parses "a.b.c.d/n,x:y::/n,..." (spaces around items allowed; an address
 * without /n is one host). Host bits set under the prefix are an error, so
 * "10.0.0.1/8" is refused rather than silently widened. Returns 0 with l
 * filled, or -1 with the faulty item named in err (l is then empty). */
int netlist_parse(struct netlist *l, const char *text, char *err,
    size_t errlen);

/* Returns 1 when sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts
 * as IPv4) falls in one of l's networks, else 0 (also for NULL). */
int netlist_contains(const struct netlist *l, const struct sockaddr *sa);

#endif
