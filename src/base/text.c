/*
 * text.c: escaping untrusted text for terminals (see text.h).
 *
 * A byte is passed through only as part of a valid, shortest-form UTF-8
 * sequence of a character that is not a control character (C0, DEL, C1);
 * everything else becomes the four characters \xNN.  What remains cannot
 * start an escape sequence: ESC (0x1b) and the C1 introducers
 * (U+0080..U+009F, e.g. CSI U+009B) are all escaped.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/*
 * Length of the UTF-8 sequence at p (at most n bytes) if it is valid and
 * printable (no C0/C1 control, no DEL), else 0.
 */
static size_t
printable_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (p[0] >= 0x20 && p[0] < 0x7f)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

static char *
escape(const char *in, char *out, size_t outlen, int lines)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), o = 0, k;

	assert(outlen > 0);
	while (n > 0) {
		if (lines && p[0] == '\n')
			k = 1;
		else if ((k = printable_seq(p, n)) == 0) {
			if (o + 4 >= outlen)
				break;
			snprintf(out + o, outlen - o, "\\x%02x", p[0]);
			o += 4, p++, n--;
			continue;
		}
		if (o + k >= outlen)
			break;
		memcpy(out + o, p, k);
		o += k, p += k, n -= k;
	}
	out[o] = '\0';
	return out;
}

char *
kr_printable(const char *in, char *out, size_t outlen)
{
	return escape(in, out, outlen, 0);
}

char *
kr_printable_lines(const char *in, char *out, size_t outlen)
{
	return escape(in, out, outlen, 1);
}

int
kr_text_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	while (n > 0) {
		if ((k = printable_seq(p, n)) == 0)
			return 0;
		p += k, n -= k;
	}
	return 1;
}
