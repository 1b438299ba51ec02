/* netlist.c -- parses a comma-separated CIDR list and tells whether a client address is in it. */
#include "netlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when the bits of addr past the prefix are all zero. */
static int
netlist_host_bits_clear(const unsigned char *addr, int len, int bits)
{
	int i;

	for (i = 0; i < len; i++) {
		int keep = bits - i * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (unsigned char)(0xff << (8 - keep));

		if ((addr[i] & (unsigned char)~mask) != 0)
			return 0;
	}
	return 1;
}

/* One item "addr[/bits]" of item[0..len); 0 or -1. */
static int
netlist_item(struct netlist_net *net, const char *item, size_t len)
{
	char buf[64], *slash, *end;
	long bits;
	int max;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, item, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			return -1;
		bits = strtol(slash, &end, 10);
		if (*end != '\0' || bits < 0 || bits > max)
			return -1;
	}
	net->bits = (int)bits;
	return netlist_host_bits_clear(net->addr, max / 8, net->bits) ? 0 : -1;
}

int
netlist_parse(struct netlist *l, const char *text, char *err, size_t errlen)
{
	const char *p = text, *e;
	size_t len;

	memset(l, 0, sizeof(*l));
	if (strlen(text) > NETLIST_TEXT_MAX) {
		snprintf(err, errlen, "more than %d bytes", NETLIST_TEXT_MAX);
		return -1;
	}
	while (*p != '\0') {
		p += strspn(p, " \t");
		len = strcspn(p, ",");
		e = p + len;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (l->n == NETLIST_MAX) {
			snprintf(err, errlen, "more than %d networks", NETLIST_MAX);
			goto fail;
		}
		if (netlist_item(&l->net[l->n], p, len) < 0) {
			snprintf(err, errlen, "\"%.*s\" is not an address or a "
			    "network (a.b.c.d/n or x:y::/n, host bits zero)",
			    (int)(len > 64 ? 64 : len), p);
			goto fail;
		}
		l->n++;
		p = *e == ',' ? e + 1 : e;
	}
	if (l->n == 0) {
		snprintf(err, errlen, "no network given");
		goto fail;
	}
	return 0;
fail:
	memset(l, 0, sizeof(*l));
	return -1;
}

/* 1 when the first bits of a and b agree. */
static int
netlist_prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

int
netlist_contains(const struct netlist *l, const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	unsigned char addr[16];
	int family;
	size_t i;

	if (l == NULL || sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
		family = AF_INET6;
		if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
			memmove(addr, addr + 12, 4);
			family = AF_INET;
		}
	} else
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->net[i].family == family &&
		    netlist_prefix_equal(addr, l->net[i].addr, l->net[i].bits))
			return 1;
	return 0;
}
