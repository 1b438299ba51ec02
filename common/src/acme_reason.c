/* acme_reason.c -- revocation reason codes a subscriber may give (RFC 8555 section 7.6, RFC 5280 section 5.3.1): names and parsing. */
/*
 * Apart from the revokeCert operation (acme_manage.c) so that a program
 * which only names reasons, as the coordinator's API does, links no
 * libcurl: certfleet_acme_offline.
 */
#include "acme.h"

#include <string.h>

static const struct {
	int		 code;
	const char	*name;
} reason_codes[] = {
	{ 0, "unspecified" },
	{ 1, "keyCompromise" },
	{ 3, "affiliationChanged" },
	{ 4, "superseded" },
	{ 5, "cessationOfOperation" },
};

int
acme_revoke_reason_ok(int reason)
{
	size_t i;

	for (i = 0; i < sizeof(reason_codes) / sizeof(reason_codes[0]); i++)
		if (reason_codes[i].code == reason)
			return 1;
	return 0;
}

int
acme_revoke_reason_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(reason_codes) / sizeof(reason_codes[0]); i++)
		if (strcmp(s, reason_codes[i].name) == 0)
			return reason_codes[i].code;
	if (s[0] >= '0' && s[0] <= '9' && s[1] == '\0' &&
	    acme_revoke_reason_ok(s[0] - '0'))
		return s[0] - '0';
	return -1;
}

const char *
acme_revoke_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < sizeof(reason_codes) / sizeof(reason_codes[0]); i++)
		if (reason_codes[i].code == reason)
			return reason_codes[i].name;
	return "unknown";
}
