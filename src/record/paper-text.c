/*
 * paper-text.c: the transcript's values as text for people on paper.
 *
 * A value in a transcript is any bytes (percent-encoded in the file).  On
 * paper it must read as what it is and never hide anything: control bytes
 * and malformed UTF-8 are spelt \xNN, and code points that print as
 * nothing or reorder the text around them (zero-width characters,
 * bidirectional overrides, a byte-order mark, private use, tags) are
 * spelt \u{XXXX}, so that two different values never look the same.  A
 * backslash is doubled, so every backslash on paper starts an escape.
 * The exact bytes are in the QR codes; docs/auditor-guide.md explains the
 * escapes.
 *
 * Also the paper sizes and the PDF's name, which keyrite needs without
 * the renderer (it runs in keyrite-paper: host/paperproc.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "paper-int.h"

/* Length of a well-formed UTF-8 sequence at p[n] and its code point. */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cpp)
{
	size_t len, i;
	uint32_t cp, min;

	if (p[0] < 0x80) {
		*cpp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return len;
}

/* Code points that print as nothing, or change how text around them reads. */
static int
invisible(uint32_t cp)
{
	static const struct {
		uint32_t lo, hi;
	} ranges[] = {
		{ 0x0080, 0x009f }, { 0x00ad, 0x00ad }, { 0x034f, 0x034f },
		{ 0x061c, 0x061c }, { 0x115f, 0x1160 }, { 0x17b4, 0x17b5 },
		{ 0x180b, 0x180f }, { 0x200b, 0x200f }, { 0x2028, 0x202e },
		{ 0x2060, 0x206f }, { 0x3164, 0x3164 }, { 0xe000, 0xf8ff },
		{ 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 },
		{ 0xfff0, 0xffff }, { 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
		{ 0xf0000, 0x10ffff },
	};
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i].lo && cp <= ranges[i].hi)
			return 1;
	return (cp & 0xfffe) == 0xfffe;	/* non-characters */
}

char *
kr_paper_printable(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct kr_buf b;
	char *out = NULL;
	uint32_t cp;
	size_t k;

	memset(&b, 0, sizeof(b));
	kr_buf_append(&b, "", 0);
	while (n > 0) {
		if (p[0] == '\\')
			kr_buf_puts(&b, "\\\\"), k = 1;
		else if (p[0] == '\n')
			kr_buf_puts(&b, "\\n"), k = 1;
		else if (p[0] == '\t')
			kr_buf_puts(&b, "\\t"), k = 1;
		else if ((k = utf8_seq(p, n, &cp)) == 0 || cp < 0x20 ||
		    cp == 0x7f) {
			kr_buf_printf(&b, "\\x%02x", p[0]);
			k = 1;
		} else if (invisible(cp))
			kr_buf_printf(&b, "\\u{%04X}", (unsigned int)cp);
		else
			kr_buf_append(&b, p, k);
		p += k;
		n -= k;
	}
	if (kr_buf_take(&b, &out, NULL) != 0)
		return NULL;
	return out;
}

/* Bytes of the unit (a character or a whole escape) at s. */
static size_t
unit(const char *s)
{
	const char *e;
	uint32_t cp;
	size_t k;

	if (s[0] == '\\') {
		if (s[1] == 'x' && s[2] != '\0' && s[3] != '\0')
			return 4;
		if (s[1] == 'u' && (e = strchr(s, '}')) != NULL)
			return (size_t)(e - s) + 1;
		return s[1] != '\0' ? 2 : 1;
	}
	k = utf8_seq((const unsigned char *)s, strlen(s) < 4 ? strlen(s) :
	    4, &cp);
	return k == 0 ? 1 : k;
}

size_t
kr_paper_columns(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

size_t
kr_paper_wrap(const char *s, size_t *off, size_t cols)
{
	const char *p = s + *off;
	size_t len = 0, used = 0, brk = 0, u, k;

	if (*p == '\0')
		return 0;
	while (p[len] != '\0') {
		u = unit(p + len);
		k = kr_paper_columns(p + len, u);
		if (used + k > cols && len > 0)
			break;
		len += u;
		used += k;
		if (p[len - 1] == ' ' && used >= cols * 2 / 3)
			brk = len;	/* just after a space */
	}
	if (p[len] != '\0' && p[len - 1] != ' ' && brk > 0)
		len = brk;
	*off += len;
	return len;
}

int
kr_paper_size_parse(const char *s, enum kr_paper_size *size)
{
	if (strcasecmp(s, "a4") == 0)
		*size = KR_PAPER_A4;
	else if (strcasecmp(s, "letter") == 0)
		*size = KR_PAPER_LETTER;
	else
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "paper size '%s': "
		    "use a4 or letter", s);
	return 0;
}

const char *
kr_paper_size_name(enum kr_paper_size size)
{
	return size == KR_PAPER_LETTER ? "Letter" : "A4";
}

void
kr_paper_name(const char *ceremony_id, char out[KR_PAPER_NAME_BYTES])
{
	snprintf(out, KR_PAPER_NAME_BYTES, "transcript-%s.pdf", ceremony_id);
}
