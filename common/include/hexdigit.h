/* hexdigit.h -- the value of one hexadecimal digit, for the parsers that decode %HH escapes and hex keys. */
#ifndef CERTFLEET_HEXDIGIT_H
#define CERTFLEET_HEXDIGIT_H

/* 0..15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other byte. */
static inline int
hexdigit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
