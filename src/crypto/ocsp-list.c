/*
 * ocsp-list.c: the status list a ceremony reads to sign OCSP responses
 * (kr_ocsp_list_parse(), ocsp.h; docs/formats.md, "OCSP status list").
 *
 *	# certificate                         status   reason         date
 *	intermediate-4ca0aa402479aa82.pem     good
 *	cross-5f3a...-by-09c1....pem          good
 *	7d2e91c4a0b3f6e8                      revoked  keyCompromise  2027-03-01
 *
 * A certificate is named by its file on the medium (checked against the
 * root when the responses are planned) or by its serial.  Serials,
 * reasons and dates are read exactly as a revocation list's
 * (crl-list.c).  Strict, with every error naming the file and the line.
 * Nothing here is secret.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "ocsp.h"

#define MAX_FIELDS	4
#define SHOW		40	/* bytes of a bad field quoted back */

struct lparser {
	const char	*source;
	size_t		 line;
	time_t		 now;
};

static int __attribute__((format(printf, 2, 3)))
lerr(const struct lparser *lp, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(KR_ERR_OCSP, "%s:%zu: %s", lp->source, lp->line,
	    msg);
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
file_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-';
}

/* A serial (hex digits only) or a certificate file name. */
static int
parse_target(const struct lparser *lp, const char *f, size_t len,
    struct kr_ocsp_entry *e)
{
	size_t i, hex = 0, ok = 0;

	for (i = 0; i < len; i++) {
		hex += is_hex(f[i]);
		ok += file_char(f[i]);
	}
	if (hex == len)
		return kr_crl_field_parse(KR_CRL_FIELD_SERIAL, f, len,
		    lp->source, lp->line, lp->now, KR_ERR_OCSP, &e->rev);
	if (ok != len || memchr(f, '.', len) == NULL || f[0] == '.')
		return lerr(lp, "'%.*s' is neither a serial (hexadecimal "
		    "digits) nor a certificate file name (letters, digits, "
		    "'.', '_', '-', with an extension: intermediate-1a2b.pem)",
		    (int)(len > SHOW ? SHOW : len), f);
	if (len > KR_OCSP_FILE_MAX)
		return lerr(lp, "a file name of %zu bytes: at most %d", len,
		    KR_OCSP_FILE_MAX);
	memcpy(e->file, f, len);
	e->file[len] = '\0';
	return 0;
}

static int
parse_status(const struct lparser *lp, const char **f, const size_t *flen,
    size_t n, struct kr_ocsp_entry *e)
{
	int r;

	e->rev.reason = KR_CRL_NO_REASON;
	if (flen[1] == 4 && memcmp(f[1], "good", 4) == 0) {
		if (n > 2)
			return lerr(lp, "a good certificate has no reason or "
			    "date: write CERTIFICATE good");
		return 0;
	}
	if (flen[1] != 7 || memcmp(f[1], "revoked", 7) != 0)
		return lerr(lp, "status '%.*s': write good, or revoked REASON "
		    "[DATE] (an offline root does not sign 'unknown')",
		    (int)(flen[1] > SHOW ? SHOW : flen[1]), f[1]);
	e->revoked = 1;
	if (n == 2)
		return lerr(lp, "a revoked certificate needs its reason: write "
		    "CERTIFICATE revoked REASON [DATE]");
	if ((r = kr_crl_field_parse(KR_CRL_FIELD_REASON, f[2], flen[2],
	    lp->source, lp->line, lp->now, KR_ERR_OCSP, &e->rev)) != 0)
		return r;
	if (n == 4)
		return kr_crl_field_parse(KR_CRL_FIELD_DATE, f[3], flen[3],
		    lp->source, lp->line, lp->now, KR_ERR_OCSP, &e->rev);
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
			return lerr(lp, "more than four fields: write "
			    "CERTIFICATE good, or CERTIFICATE revoked REASON "
			    "[DATE], and a comment after '#'");
		f[n] = p;
		while (p < eol && *p != ' ' && *p != '\t' && *p != '#')
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	*np = n;
	return 0;
}

/* Printable ASCII and blanks; UTF-8 only in a comment. */
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

/* The same certificate twice: by file, or by serial. */
static int
check_twice(const struct lparser *lp, const struct kr_ocsp_list *l,
    const struct kr_ocsp_entry *e)
{
	const struct kr_ocsp_entry *o;
	size_t i;

	for (i = 0; i < l->n; i++) {
		o = &l->e[i];
		if (e->file[0] != '\0' && strcmp(o->file, e->file) == 0)
			return lerr(lp, "%s is listed already on line %zu: "
			    "list each certificate once", e->file, o->line);
		if (e->file[0] == '\0' && o->file[0] == '\0' &&
		    o->rev.serial_len == e->rev.serial_len &&
		    memcmp(o->rev.serial, e->rev.serial,
		    e->rev.serial_len) == 0)
			return lerr(lp, "serial %s is listed already on line "
			    "%zu: list each certificate once",
			    e->rev.serial_hex, o->line);
	}
	return 0;
}

static int
parse_line(struct lparser *lp, const char *p, const char *eol,
    struct kr_ocsp_list *l)
{
	const char *f[MAX_FIELDS];
	size_t flen[MAX_FIELDS], n = 0;
	struct kr_ocsp_entry e;
	int r;

	if ((r = check_bytes(lp, p, eol)) != 0 ||
	    (r = fields(lp, p, eol, f, flen, &n)) != 0)
		return r;
	if (n == 0)
		return 0;
	if (n == 1)
		return lerr(lp, "'%.*s' has no status: write CERTIFICATE good, "
		    "or CERTIFICATE revoked REASON [DATE]",
		    (int)(flen[0] > SHOW ? SHOW : flen[0]), f[0]);
	memset(&e, 0, sizeof(e));
	e.line = lp->line;
	e.rev.line = lp->line;
	if ((r = parse_target(lp, f[0], flen[0], &e)) != 0 ||
	    (r = parse_status(lp, f, flen, n, &e)) != 0 ||
	    (r = check_twice(lp, l, &e)) != 0)
		return r;
	if (l->n == KR_OCSP_MAX_ENTRIES)
		return lerr(lp, "more than %d certificates: sign the rest at "
		    "another ceremony", KR_OCSP_MAX_ENTRIES);
	if (l->n % 16 == 0) {
		struct kr_ocsp_entry *grown = reallocarray(l->e, l->n + 16,
		    sizeof(*grown));

		if (grown == NULL)
			return kr_err_set(KR_ERR_NOMEM, "%s", lp->source);
		l->e = grown;
	}
	l->e[l->n++] = e;
	return 0;
}

int
kr_ocsp_list_parse(const char *text, size_t len, const char *source,
    time_t now, struct kr_ocsp_list **lp)
{
	struct kr_ocsp_list *l = NULL;
	struct lparser ps;
	const char *p = text, *end = text + len, *nl;
	int r = KR_ERR_INTERNAL;

	*lp = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.source = source != NULL ? source : "status list";
	ps.now = now;
	if (len > KR_OCSP_LIST_MAX_BYTES)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu bytes; a status "
		    "list is at most %u", ps.source, len,
		    KR_OCSP_LIST_MAX_BYTES);
	if (len > 0 && text[len - 1] != '\n')
		return kr_err_set(KR_ERR_OCSP, "%s: the last line has no line "
		    "feed: the file may be cut short; end it with a line feed",
		    ps.source);
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
	if (l->n == 0) {
		r = kr_err_set(KR_ERR_OCSP, "%s: names no certificate: list "
		    "each certificate whose status the root signs, one a line",
		    ps.source);
		goto out;
	}
	*lp = l;
	l = NULL;
	r = 0;
 out:
	kr_ocsp_list_free(l);
	return r;
}

void
kr_ocsp_list_free(struct kr_ocsp_list *l)
{
	if (l == NULL)
		return;
	free(l->e);
	free(l);
}

const char *
kr_ocsp_status_name(const struct kr_ocsp_entry *e)
{
	return e->revoked ? "revoked" : "good";
}
