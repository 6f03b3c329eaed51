/*
 * crl-list.c: the revocation list file a CRL ceremony reads
 * (kr_crl_list_parse(), crl.h; docs/formats.md, "Revocation list").
 *
 *	# serial                            reason          date
 *	4ca0aa402479aa8281c5ba008fe0dd04    keyCompromise   2026-11-20
 *	5f3a9c0d1e2b4a6f                    superseded
 *
 * Strict, as every input of a ceremony is: each line is read on its own
 * terms and any doubt is an error naming the file and the line, so that
 * the people in the room fix the file rather than guess what keyrite
 * made of it.  Nothing here is secret.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/err.h"
#include "base/hex.h"
#include "crl.h"

#define MAX_FIELDS	3
#define SHOW		40	/* bytes of a bad field quoted back */

static const struct { int code; const char *name; } reasons[] = {
	{ 0, "unspecified" },
	{ 1, "keyCompromise" },
	{ 2, "cACompromise" },
	{ 3, "affiliationChanged" },
	{ 4, "superseded" },
	{ 5, "cessationOfOperation" },
	{ 6, "certificateHold" },
	{ 8, "removeFromCRL" },
	{ 9, "privilegeWithdrawn" },
	{ 10, "aACompromise" },
};
#define NREASONS	(sizeof(reasons) / sizeof(reasons[0]))

const char *
kr_crl_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < NREASONS; i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return NULL;
}

struct lparser {
	const char	*source;
	size_t		 line;
	time_t		 now;
	int		 code;	/* KR_ERR_REVOCATIONS, or the caller's */
};

static int __attribute__((format(printf, 2, 3)))
lerr(const struct lparser *lp, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(lp->code, "%s:%zu: %s", lp->source, lp->line, msg);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
parse_serial(const struct lparser *lp, const char *f, size_t len,
    struct kr_crl_entry *e)
{
	size_t i, digits;
	uint8_t b[KR_CRL_SERIAL_MAX];

	for (i = 0; i < len; i++)
		if (hexval(f[i]) < 0)
			return lerr(lp, "serial '%.*s' is not a hexadecimal "
			    "number: write it as openssl x509 -serial prints "
			    "it, without colons", (int)(len > SHOW ? SHOW :
			    len), f);
	while (len > 1 && f[0] == '0')
		f++, len--;
	if (len == 1 && f[0] == '0')
		return lerr(lp, "serial 0: a certificate serial number is "
		    "positive (RFC 5280 4.1.2.2)");
	if (len > 2 * KR_CRL_SERIAL_MAX)
		return lerr(lp, "serial of %zu hex digits: a serial number "
		    "has at most %d octets (RFC 5280 4.1.2.2)", len,
		    KR_CRL_SERIAL_MAX);
	/* Right-aligned into whole octets. */
	memset(b, 0, sizeof(b));
	digits = len;
	e->serial_len = (digits + 1) / 2;
	for (i = 0; i < len; i++) {
		size_t pos = (2 * e->serial_len - digits) + i;

		b[pos / 2] |= (uint8_t)(hexval(f[i]) << (pos % 2 ? 0 : 4));
	}
	memcpy(e->serial, b, e->serial_len);
	kr_hex_encode(e->serial, e->serial_len, e->serial_hex,
	    sizeof(e->serial_hex));
	return 0;
}

static int
parse_reason(const struct lparser *lp, const char *f, size_t len,
    struct kr_crl_entry *e)
{
	char names[256];
	size_t i, used = 0;

	for (i = 0; i < NREASONS; i++)
		if (strlen(reasons[i].name) == len &&
		    memcmp(reasons[i].name, f, len) == 0) {
			e->reason = reasons[i].code;
			return 0;
		}
	for (i = 0; i < NREASONS; i++)
		if (strlen(reasons[i].name) == len &&
		    strncasecmp(reasons[i].name, f, len) == 0)
			return lerr(lp, "reason '%.*s': write it as %s",
			    (int)len, f, reasons[i].name);
	for (i = 0; i < NREASONS && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used,
		    "%s%s", i ? ", " : "", reasons[i].name);
	return lerr(lp, "unknown reason '%.*s': RFC 5280 names %s",
	    (int)(len > SHOW ? SHOW : len), f, names);
}

/* n decimal digits at p, or -1. */
static int
digits(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int
parse_date(const struct lparser *lp, const char *f, size_t len,
    struct kr_crl_entry *e)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, s = 0;

	if ((len != 10 && len != 20) || f[4] != '-' || f[7] != '-' ||
	    (len == 20 && (f[10] != 'T' || f[13] != ':' || f[16] != ':' ||
	    f[19] != 'Z')))
		return lerr(lp, "date '%.*s': write YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ (UTC)", (int)(len > SHOW ? SHOW :
		    len), f);
	y = digits(f, 4), mo = digits(f + 5, 2), d = digits(f + 8, 2);
	if (len == 20)
		h = digits(f + 11, 2), mi = digits(f + 14, 2),
		    s = digits(f + 17, 2);
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || (mo == 2 && d == 29 && !(y % 4 == 0 &&
	    (y % 100 != 0 || y % 400 == 0))) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59)
		return lerr(lp, "date '%.*s' is not a date and time that "
		    "exists", (int)len, f);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	e->date = timegm(&tm);
	if (e->date > lp->now)
		return lerr(lp, "date %.*s is in the future: a certificate is "
		    "revoked when the %s says so, not later; leave the date "
		    "out to revoke it now", (int)len, f,
		    lp->code == KR_ERR_REVOCATIONS ? "CRL" : "response");
	return 0;
}

/* Splits [p, eol) into at most MAX_FIELDS fields at blanks. */
static int
fields(const struct lparser *lp, const char *p, const char *eol,
    const char **f, size_t *flen, size_t *np)
{
	size_t n = 0;

	for (;;) {
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol || *p == '#')
			break;
		if (n == MAX_FIELDS)
			return lerr(lp, "more than three fields: write SERIAL "
			    "REASON [DATE], and a comment after '#'");
		f[n] = p;
		while (p < eol && *p != ' ' && *p != '\t' && *p != '#')
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	*np = n;
	return 0;
}

/* The bytes of a line are printable ASCII, blanks, or UTF-8 in comments. */
static int
check_bytes(const struct lparser *lp, const char *p, const char *eol)
{
	const char *hash = memchr(p, '#', (size_t)(eol - p));

	for (; p < eol; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r')
			return lerr(lp, "the line ends in a carriage return (a "
			    "Windows line end): save the file with LF line "
			    "ends");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return lerr(lp, "control byte 0x%02x: the file must be "
			    "plain text", c);
		if (c >= 0x80 && (hash == NULL || p < hash))
			return lerr(lp, "a byte that is not ASCII outside a "
			    "comment");
	}
	return 0;
}

static int
parse_line(struct lparser *lp, const char *p, const char *eol,
    struct kr_crl_list *l)
{
	const char *f[MAX_FIELDS];
	size_t flen[MAX_FIELDS], n = 0, i;
	struct kr_crl_entry e;
	int r;

	if ((r = check_bytes(lp, p, eol)) != 0 ||
	    (r = fields(lp, p, eol, f, flen, &n)) != 0)
		return r;
	if (n == 0)
		return 0;
	if (n == 1)
		return lerr(lp, "'%.*s' has no reason: write SERIAL REASON "
		    "[DATE]", (int)(flen[0] > SHOW ? SHOW : flen[0]), f[0]);
	memset(&e, 0, sizeof(e));
	e.line = lp->line;
	if ((r = parse_serial(lp, f[0], flen[0], &e)) != 0 ||
	    (r = parse_reason(lp, f[1], flen[1], &e)) != 0 ||
	    (n == 3 && (r = parse_date(lp, f[2], flen[2], &e)) != 0))
		return r;
	for (i = 0; i < l->n; i++)
		if (l->e[i].serial_len == e.serial_len &&
		    memcmp(l->e[i].serial, e.serial, e.serial_len) == 0)
			return lerr(lp, "serial %s is listed already on line "
			    "%zu: list each certificate once", e.serial_hex,
			    l->e[i].line);
	if (l->n == KR_CRL_MAX_ENTRIES)
		return lerr(lp, "more than %d revocations", KR_CRL_MAX_ENTRIES);
	if (l->n % 64 == 0) {
		struct kr_crl_entry *grown = reallocarray(l->e, l->n + 64,
		    sizeof(*grown));

		if (grown == NULL)
			return kr_err_set(KR_ERR_NOMEM, "%s", lp->source);
		l->e = grown;
	}
	l->e[l->n++] = e;
	return 0;
}

int
kr_crl_field_parse(enum kr_crl_field which, const char *f, size_t len,
    const char *source, size_t line, time_t now, int code,
    struct kr_crl_entry *e)
{
	struct lparser ps;

	memset(&ps, 0, sizeof(ps));
	ps.source = source;
	ps.line = line;
	ps.now = now;
	ps.code = code;
	switch (which) {
	case KR_CRL_FIELD_SERIAL:
		return parse_serial(&ps, f, len, e);
	case KR_CRL_FIELD_REASON:
		return parse_reason(&ps, f, len, e);
	case KR_CRL_FIELD_DATE:
		return parse_date(&ps, f, len, e);
	}
	return kr_err_set(KR_ERR_INVALID_ARGUMENT, "kr_crl_field_parse");
}

int
kr_crl_list_parse(const char *text, size_t len, const char *source,
    time_t now, struct kr_crl_list **lp)
{
	struct kr_crl_list *l = NULL;
	struct lparser ps;
	const char *p = text, *end = text + len, *nl;
	int r = KR_ERR_INTERNAL;

	*lp = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.source = source != NULL ? source : "revocations";
	ps.now = now;
	ps.code = KR_ERR_REVOCATIONS;
	if (len > KR_CRL_LIST_MAX_BYTES)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu bytes; a "
		    "revocation list is at most %u", ps.source, len,
		    KR_CRL_LIST_MAX_BYTES);
	if (len > 0 && text[len - 1] != '\n')
		return kr_err_set(KR_ERR_REVOCATIONS, "%s: the last line has "
		    "no line feed: the file may be cut short; end it with a "
		    "line feed", ps.source);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", ps.source);
	snprintf(l->source, sizeof(l->source), "%s", ps.source);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));	/* not NULL */
		ps.line++;
		if ((r = parse_line(&ps, p, nl, l)) != 0)
			goto out;
		p = nl + 1;
	}
	*lp = l;
	l = NULL;
	r = 0;
 out:
	kr_crl_list_free(l);
	return r;
}

void
kr_crl_list_free(struct kr_crl_list *l)
{
	if (l == NULL)
		return;
	free(l->e);
	free(l);
}
