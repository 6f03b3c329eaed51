/*
 * script.c: ceremony scripts: the verb table, values, resolving and the
 * API.  The line parser is script-parse.c; what the two share is
 * script-int.h.
 *
 * Values keep their escapes and ${param} references as written (the "raw"
 * text); kr_script_resolve() expands them with the parameters' current
 * values and checks every value against its verb argument's type.
 * kr_script_parse() resolves once with the defaults, so a script that
 * cannot run as written is refused when it is loaded, not half-way
 * through a ceremony.
 *
 * The verbs are data: one row of kr_script_verbs[] per verb, naming its
 * arguments (type, required, default, range, which policy field it feeds)
 * and the roles that may act.  Adding a verb is adding a row (and teaching
 * the engine to run it).
 *
 * Every error names file:line:column, counted in UTF-8 characters, and
 * where a near-miss is likely, a hint line.  The text rules (UTF-8, LF, no
 * tabs, no trailing spaces) and suggestions are shared with policy.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/key.h"
#include "host/media.h"
#include "policy.h"
#include "script-int.h"

#define MAX_INT_DIGITS	9

/* --- the verb table ------------------------------------------------------ */

#define ADM	KR_SCRIPT_ADMINISTRATOR
#define CUS	KR_SCRIPT_CUSTODIAN
#define WIT	KR_SCRIPT_WITNESS

const struct kr_script_verb kr_script_verbs[] = {
	{ .name = "selftest", .roles = ADM },
	{ .name = "airgap-check", .roles = ADM | WIT },
	{ .name = "roll-call", .roles = ADM },
	{ .name = "generate-key", .roles = ADM,
	    .flags = VERB_MAKES_KEY | VERB_SECRET | VERB_KEY_KNOWN, .args = {
	    { "algorithm", ARG_ALGORITHM, 1, NULL, 0, 0, FEEDS_ALGORITHM } } },
	{ .name = "self-sign", .roles = ADM,
	    .flags = VERB_SECRET | VERB_KEY_KNOWN, .args = {
	    { "subject", ARG_STRING, 1, NULL, 0, 0, FEEDS_NONE },
	    { "validity-days", ARG_INTEGER, 1, NULL, 1, 36525, FEEDS_VALIDITY },
	    { "path-length", ARG_INTEGER, 0, NULL, 0, 16, FEEDS_NONE },
	    { "profile", ARG_STRING, 0, "root-ca", 0, 0, FEEDS_NONE } } },
	{ .name = "show-fingerprint", .roles = ADM | CUS | WIT, .args = {
	    { "of", ARG_STRING, 0, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "split", .roles = ADM, .flags = VERB_ESCROWS | VERB_SECRET,
	    .args = {
	    { "threshold", ARG_INTEGER, 1, NULL, 1, 255, FEEDS_THRESHOLD },
	    { "shares", ARG_INTEGER, 1, NULL, 1, 255, FEEDS_SHARES } } },
	{ .name = "write-shares", .roles = CUS,
	    .flags = VERB_ESCROWS | VERB_SECRET },
	{ .name = "verify-shares", .roles = CUS, .flags = VERB_SECRET },
	{ .name = "write-escrow", .roles = ADM,
	    .flags = VERB_ESCROWS | VERB_SECRET, .args = {
	    { "name", ARG_FILENAME, 0, "root-ca.escrow", 0, 0, FEEDS_NONE } } },
	{ .name = "write-certificate", .roles = ADM, .args = {
	    { "name", ARG_FILENAME, 0, "root-ca.pem", 0, 0, FEEDS_NONE } } },
	{ .name = "write-public-key", .roles = ADM, .args = {
	    { "name", ARG_FILENAME, 1, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "write-pubhash", .roles = ADM, .args = {
	    { "name", ARG_FILENAME, 1, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "write-csr", .roles = ADM, .flags = VERB_SECRET, .args = {
	    { "name", ARG_FILENAME, 1, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "load-escrow", .roles = ADM, .flags = VERB_KEY_KNOWN,
	    .args = {
	    { "file", ARG_FILENAME, 0, "root-ca.escrow", 0, 0, FEEDS_NONE },
	    { "certificate", ARG_FILENAME, 0, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "recover", .roles = CUS,
	    .flags = VERB_MAKES_KEY | VERB_SECRET },
	{ .name = "prove-key", .roles = ADM | WIT, .flags = VERB_SECRET },
	/* Using a recovered CA key (engine-sign.c, engine-crl.c). */
	{ .name = "review-csr", .roles = ADM | WIT },
	{ .name = "sign-csr", .roles = ADM, .flags = VERB_SECRET, .args = {
	    { "csr", ARG_FILENAME, 1, NULL, 0, 0, FEEDS_NONE },
	    { "profile", ARG_STRING, 0, "intermediate-ca", 0, 0, FEEDS_NONE },
	    { "validity-days", ARG_INTEGER, 1, NULL, 1, 36525, FEEDS_NONE },
	    { "path-length", ARG_INTEGER, 0, "0", 0, 16, FEEDS_NONE },
	    { "digital-signature", ARG_STRING, 0, "no", 0, 0, FEEDS_NONE },
	    { "policies", ARG_STRING_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "eku", ARG_STRING_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "crl-uri", ARG_STRING_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "ca-issuers-uri", ARG_STRING_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "permitted", ARG_STRING_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "excluded", ARG_STRING_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE } } },
	{ .name = "review-crl", .roles = ADM | WIT },
	{ .name = "issue-crl", .roles = ADM, .flags = VERB_SECRET, .args = {
	    { "previous", ARG_FILENAME_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "revocations", ARG_FILENAME_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "next-update-days", ARG_INTEGER, 1, NULL, 1, 36525, FEEDS_NONE },
	    { "prefix", ARG_FILENAME, 0, "root-ca-crl", 0, 0, FEEDS_NONE } } },
	/* Cross-certificates, OCSP responses (engine-sign.c, engine-ocsp.c). */
	{ .name = "review-cross", .roles = ADM | WIT },
	{ .name = "cross-sign", .roles = ADM, .flags = VERB_SECRET, .args = {
	    { "subject-cert", ARG_FILENAME_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "csr", ARG_FILENAME_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "validity-days", ARG_INTEGER, 1, NULL, 1, 36525, FEEDS_NONE },
	    { "path-length", ARG_INTEGER, 0, "1", 0, 16, FEEDS_NONE },
	    { "crl-uri", ARG_STRING_OR_EMPTY, 0, "", 0, 0, FEEDS_NONE },
	    { "ca-issuers-uri", ARG_STRING_OR_EMPTY, 0, "", 0, 0,
	    FEEDS_NONE } } },
	{ .name = "review-ocsp", .roles = ADM | WIT },
	{ .name = "sign-ocsp", .roles = ADM, .flags = VERB_SECRET, .args = {
	    { "status-list", ARG_FILENAME, 1, NULL, 0, 0, FEEDS_NONE },
	    { "next-update-days", ARG_INTEGER, 1, NULL, 1, 36525, FEEDS_NONE },
	    { "prefix", ARG_FILENAME, 0, "ocsp", 0, 0, FEEDS_NONE } } },
	/* Restoring a recovered key into an HSM (engine-restore.c). */
	{ .name = "review-target", .roles = ADM | WIT },
	{ .name = "restore-key", .roles = ADM, .flags = VERB_SECRET, .args = {
	    { "token", ARG_STRING, 1, NULL, 0, 0, FEEDS_NONE },
	    { "label", ARG_STRING, 1, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "review-release", .roles = ADM | WIT, .args = {
	    { "file", ARG_FILENAME, 1, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "sign-release", .roles = ADM, .flags = VERB_SECRET, .args = {
	    { "record", ARG_FILENAME, 0, "release-signed.txt", 0, 0,
	    FEEDS_NONE } } },
	/* The key's life (docs/scripts.md): */
	{ .name = "import-key", .roles = ADM,
	    .flags = VERB_MAKES_KEY | VERB_SECRET | VERB_KEY_KNOWN, .args = {
	    { "file", ARG_FILENAME, 1, NULL, 0, 0, FEEDS_NONE },
	    { "format", ARG_STRING, 0, "pkcs8", 0, 0, FEEDS_NONE },
	    { "class", ARG_STRING, 0, NULL, 0, 0, FEEDS_NONE } } },
	{ .name = "destroy-shares", .roles = CUS },
	{ .name = "attest-copies", .roles = ADM | WIT },
	{ .name = "check-card", .roles = CUS, .flags = VERB_SECRET },
	{ .name = "wipe", .roles = ADM | WIT },
	{ .name = "seal-transcript", .roles = ADM },
	{ .name = "cosign-transcript", .roles = ADM | CUS,
	    .flags = VERB_AFTER_SEAL },
	{ .name = "print-transcript", .roles = ADM | WIT,
	    .flags = VERB_AFTER_SEAL, .args = {
	    { "paper", ARG_STRING, 0, "a4", 0, 0, FEEDS_NONE },
	    { "copies", ARG_INTEGER, 0, "1", 1, 9, FEEDS_NONE } } },
};
const size_t kr_script_nverbs = sizeof(kr_script_verbs) /
    sizeof(kr_script_verbs[0]);

const struct kr_script_role_entry kr_script_roles[KR_SCRIPT_NROLES] = {
	{ "administrator", KR_SCRIPT_ADMINISTRATOR },
	{ "custodian", KR_SCRIPT_CUSTODIAN },
	{ "witness", KR_SCRIPT_WITNESS },
};

const struct kr_script_verb *
kr_script_verb_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < kr_script_nverbs; i++)
		if (strlen(kr_script_verbs[i].name) == len &&
		    memcmp(kr_script_verbs[i].name, name, len) == 0)
			return &kr_script_verbs[i];
	return NULL;
}

const struct kr_script_verb_arg *
kr_script_verb_arg_find(const struct kr_script_verb *v, const char *name,
    size_t len)
{
	const struct kr_script_verb_arg *a;

	for (a = v->args; a->name != NULL; a++)
		if (strlen(a->name) == len && memcmp(a->name, name, len) == 0)
			return a;
	return NULL;
}

/* --- text ---------------------------------------------------------------- */

/* Decodes one UTF-8 character; returns its length, or 0 if invalid. */
static size_t
utf8_decode(const unsigned char *p, const unsigned char *end, unsigned *cpp)
{
	size_t n, i;
	unsigned cp;

	if (p[0] < 0x80) {
		*cpp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return n;
}

size_t
kr_script_column(const char *line, const char *p)
{
	size_t col = 1;

	for (; line < p; line++)
		if (((unsigned char)*line & 0xc0) != 0x80)
			col++;
	return col;
}

/* What is wrong with the character at p, or NULL; *lenp its length. */
static const char *
char_problem(const char *p, const char *end, size_t *lenp,
    const char **hintp, unsigned *cpp)
{
	unsigned cp = (unsigned char)*p;

	*hintp = NULL;
	*cpp = cp;
	*lenp = 1;
	if (*p == '\r') {
		*hintp = "save the file with LF (Unix) line endings";
		return "carriage return";
	}
	if (*p == '\t') {
		*hintp = "use spaces instead of tabs";
		return "tab character";
	}
	if ((*lenp = utf8_decode((const unsigned char *)p,
	    (const unsigned char *)end, &cp)) == 0) {
		*hintp = "save the file as UTF-8";
		return "invalid UTF-8";
	}
	*cpp = cp;
	if (cp == 0xfeff) {
		*hintp = "save the file as UTF-8 without a byte-order mark";
		return "byte-order mark";
	}
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return "control character";
	return NULL;
}

int
kr_script_check_text(const char *text, size_t len, const char *source,
    int code)
{
	const char *p = text, *end = text + len, *ls = text, *what, *hint;
	const char *sp;
	size_t line = 1, n;
	unsigned cp;

	while (p <= end) {
		if (p == end || *p == '\n') {
			for (sp = p; sp > ls && sp[-1] == ' '; sp--)
				;
			if (sp != p)
				return kr_err_set(code, "%s:%zu:%zu: space at "
				    "the end of the line\nhint: remove it",
				    source, line, kr_script_column(ls, sp));
			if (p == end)
				break;
			ls = ++p;
			line++;
			continue;
		}
		if ((what = char_problem(p, end, &n, &hint, &cp)) == NULL) {
			p += n;
			continue;
		}
		if (hint == NULL)
			return kr_err_set(code, "%s:%zu:%zu: %s U+%04X",
			    source, line, kr_script_column(ls, p), what, cp);
		return kr_err_set(code, "%s:%zu:%zu: %s\nhint: %s", source,
		    line, kr_script_column(ls, p), what, hint);
	}
	return 0;
}

/* 1 if v is valid UTF-8 without control characters (for --set values). */
static int
text_ok(const char *v)
{
	const char *end = v + strlen(v), *hint;
	size_t n;
	unsigned cp;

	while (v < end) {
		if (char_problem(v, end, &n, &hint, &cp) != NULL)
			return 0;
		v += n;
	}
	return 1;
}

static size_t
edit_distance(const char *a, const char *b)
{
	size_t row[KR_SCRIPT_MAX_NAME + 1], i, j, la, lb, diag, up;

	la = strlen(a);
	lb = strlen(b);
	if (la > KR_SCRIPT_MAX_NAME || lb > KR_SCRIPT_MAX_NAME)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

const char *
kr_script_nearest(const char *word, const char *const *cands, size_t n)
{
	size_t i, d, best = (size_t)-1, limit;
	const char *found = NULL;

	limit = strlen(word) >= 5 ? 2 : 1;
	for (i = 0; i < n; i++) {
		d = edit_distance(word, cands[i]);
		if (d <= limit && d < best) {
			best = d;
			found = cands[i];
		}
	}
	if (found != NULL || strlen(word) < 3)
		return found;
	/* An abbreviation ("admin") of exactly one candidate. */
	for (i = 0; i < n; i++)
		if (strncmp(cands[i], word, strlen(word)) == 0) {
			if (found != NULL)
				return NULL;
			found = cands[i];
		}
	return found;
}

/* "did you mean 'x'?" or "<what>: a, b, c" into buf. */
const char *
kr_script_suggest(char *buf, size_t size, const char *word, size_t wlen,
    const char *const *cands, size_t n, const char *what)
{
	char w[KR_SCRIPT_MAX_NAME + 1];
	const char *best;
	size_t i, used;

	if (wlen > KR_SCRIPT_MAX_NAME)
		wlen = KR_SCRIPT_MAX_NAME;
	memcpy(w, word, wlen);
	w[wlen] = '\0';
	if ((best = kr_script_nearest(w, cands, n)) != NULL) {
		snprintf(buf, size, "did you mean '%s'?", best);
		return buf;
	}
	used = (size_t)snprintf(buf, size, "%s:", what);
	for (i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s %s",
		    i ? "," : "", cands[i]);
	if (n == 0 && used < size)
		snprintf(buf + used, size - used, " none");
	return buf;
}

/* --- values -------------------------------------------------------------- */

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

/* 1 if v looks like a shared library: *.so, *.so.1.2, *.dll, *.dylib. */
int
kr_script_is_module(const char *v)
{
	size_t len = strlen(v);

	while (len > 0 && ((v[len - 1] >= '0' && v[len - 1] <= '9') ||
	    v[len - 1] == '.'))
		if (ends_with(v, len--, ".so."))
			return 1;
	len = strlen(v);
	return ends_with(v, len, ".so") || ends_with(v, len, ".dll") ||
	    ends_with(v, len, ".dylib");
}

/* Parses 1..9 decimal digits without a leading zero; -1 if not. */
long long
kr_script_uint(const char *s, size_t len)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > MAX_INT_DIGITS || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

int
kr_script_is_algorithm(const char *v)
{
	size_t n;

	if (kr_key_alg_find(v) != NULL)
		return 1;
	if (strncmp(v, "rsa-", 4) == 0)
		v += 4;
	else if (strncmp(v, "ecdsa-p", 7) == 0)
		v += 7;
	else
		return 0;
	n = strlen(v);
	return n >= 3 && n <= 5 && kr_script_uint(v, n) > 0;
}

int
kr_script_word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* A plain file name: word characters, not starting with '.' or '-'. */
int
kr_script_is_filename(const char *v)
{
	size_t i, len = strlen(v);

	if (len == 0 || len > 128 || v[0] == '.' || v[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!kr_script_word_char((unsigned char)v[i]))
			return 0;
	return 1;
}

const struct kr_script_param *
kr_script_param_find(const struct kr_script *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->nparams; i++)
		if (strlen(s->params[i].name) == len &&
		    memcmp(s->params[i].name, name, len) == 0)
			return &s->params[i];
	return NULL;
}

/* What is wrong with v as a value of pm, into buf; NULL if nothing. */
const char *
kr_script_param_problem(const struct kr_script_param *pm, const char *v,
    char *buf, size_t size)
{
	long long n;
	size_t i, used;

	if (kr_script_is_module(v)) {
		snprintf(buf, size, "'%.64s' looks like a PKCS#11 module: "
		    KR_SCRIPT_NO_SECRETS, v);
		return buf;
	}
	if (strlen(v) > KR_SCRIPT_MAX_VALUE || !text_ok(v)) {
		snprintf(buf, size, "the value must be at most %d bytes of "
		    "UTF-8 text without control characters",
		    KR_SCRIPT_MAX_VALUE);
		return buf;
	}
	if (pm->type == KR_SCRIPT_INTEGER) {
		if ((n = kr_script_uint(v, strlen(v))) < 0)
			snprintf(buf, size, "'%.64s' is not a whole number", v);
		else if (n < pm->min || n > pm->max)
			snprintf(buf, size, "%lld is outside %lld..%lld", n,
			    pm->min, pm->max);
		else
			return NULL;
		return buf;
	}
	if (pm->type != KR_SCRIPT_CHOICE)
		return NULL;
	for (i = 0; i < pm->nchoices; i++)
		if (strcmp(pm->choices[i], v) == 0)
			return NULL;
	used = (size_t)snprintf(buf, size, "'%.64s' is not one of:", v);
	for (i = 0; i < pm->nchoices && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, " %s",
		    pm->choices[i]);
	return buf;
}

/* --- positions and errors ------------------------------------------------ */

static int __attribute__((format(printf, 4, 0)))
verr(const struct kr_script_where *w, const char *at, const char *hint,
    const char *fmt, va_list ap)
{
	char msg[768];
	size_t col = w->column;

	if (at != NULL)
		col += kr_script_column(w->base, at) - 1;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu:%zu: %s%s%s",
	    w->source, w->line, col, msg, hint ? "\nhint: " : "",
	    hint ? hint : "");
}

int
kr_script_werr(const struct kr_script_where *w, const char *at,
    const char *hint, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(w, at, hint, fmt, ap);
	va_end(ap);
	return r;
}

/* The error for ${name} (len bytes at p + 2) naming no parameter. */
static int
unknown_param(const struct kr_script_where *w, const struct kr_script *s,
    const char *p, size_t len)
{
	const char *names[KR_SCRIPT_MAX_PARAMS];
	char hint[512];
	size_t i;

	for (i = 0; i < s->nparams; i++)
		names[i] = s->params[i].name;
	if (s->nparams == 0)
		snprintf(hint, sizeof(hint), "this script declares no "
		    "parameters; declare one with: param NAME TYPE ...");
	else
		kr_script_suggest(hint, sizeof(hint), p + 2, len, names,
		    s->nparams, "parameters");
	return kr_script_werr(w, p, hint, "unknown parameter '%.*s'",
	    (int)(len > 64 ? 64 : len), p + 2);
}

int
kr_script_expand(const struct kr_script_where *w, const char *raw, size_t len,
    const struct kr_script *s, size_t max, char **outp)
{
	struct kr_buf b = { 0 };
	const char *p = raw, *e = raw + len, *q;
	const struct kr_script_param *pm;
	int r;

	*outp = NULL;
	while (p < e) {
		if (*p == '\\') {
			if (p + 1 == e || strchr("\"\\$", p[1]) == NULL) {
				r = kr_script_werr(w, p, "the escapes are "
				    "\\\" \\\\ and \\$", "unknown escape "
				    "'\\%.1s'", p + 1 == e ? "" : p + 1);
				goto out;
			}
			kr_buf_append(&b, p + 1, 1);
			p += 2;
			continue;
		}
		if (*p != '$' || p + 1 == e || p[1] != '{') {
			kr_buf_append(&b, p++, 1);
			continue;
		}
		if (s == NULL) {
			r = kr_script_werr(w, p, "write the value itself, "
			    "or \\$ for a '$'", "a default cannot refer to a "
			    "parameter");
			goto out;
		}
		if ((q = memchr(p + 2, '}', (size_t)(e - p - 2))) == NULL) {
			r = kr_script_werr(w, p, "write ${name}, or \\$ for "
			    "a '$'", "unterminated '${'");
			goto out;
		}
		if ((pm = kr_script_param_find(s, p + 2,
		    (size_t)(q - p - 2))) == NULL) {
			r = unknown_param(w, s, p, (size_t)(q - p - 2));
			goto out;
		}
		kr_buf_puts(&b, pm->value);
		p = q + 1;
	}
	if (b.len > max) {
		r = kr_script_werr(w, NULL, NULL, "longer than %zu bytes", max);
		goto out;
	}
	/* kr_buf_take() of an empty buffer leaves its byte unterminated. */
	if (b.len == 0) {
		kr_buf_free(&b);
		if ((*outp = strdup("")) == NULL)
			return kr_err_set(KR_ERR_NOMEM, "expanding a value");
		return 0;
	}
	r = kr_buf_take(&b, outp, &len);
 out:
	kr_buf_free(&b);
	return r;
}

/* --- resolving ----------------------------------------------------------- */

/* Checks value v of argument a of verb vb, which came from arg. */
static int
check_value(const struct kr_script_verb *vb, const struct kr_script_verb_arg *a,
    const struct kr_script_argument *arg, const struct kr_script_where *w,
    const char *v)
{
	char from[96] = "", hint[512];
	const char *names[16];
	const struct kr_key_alg *alg;
	long long n;
	size_t i;

	if (strstr(arg->raw, "${") != NULL)
		snprintf(from, sizeof(from), " (from '%.64s')", arg->raw);
	if (kr_script_is_module(v))
		return kr_script_werr(w, NULL, NULL, "'%.64s' looks like a "
		    "PKCS#11 module: " KR_SCRIPT_NO_SECRETS, v);
	if (*v == '\0' && (a->type == ARG_STRING_OR_EMPTY ||
	    a->type == ARG_FILENAME_OR_EMPTY))
		return 0;
	if (*v == '\0')
		return kr_script_werr(w, NULL, NULL, "%s %s= is empty%s",
		    vb->name, a->name, from);
	switch (a->type) {
	case ARG_INTEGER:
		/* An optional number may be left unset by name. */
		if (!a->required && strcmp(v, "none") == 0)
			return 0;
		if ((n = kr_script_uint(v, strlen(v))) < 0)
			return kr_script_werr(w, NULL, NULL, "%s %s=: '%.64s' "
			    "is not a whole number%s", vb->name, a->name, v,
			    from);
		if (n < a->min || n > a->max)
			return kr_script_werr(w, NULL, NULL, "%s %s=: %lld is "
			    "outside %lld..%lld%s", vb->name, a->name, n,
			    a->min, a->max, from);
		return 0;
	case ARG_ALGORITHM:
		if (kr_script_is_algorithm(v))
			return 0;
		for (i = 0; i < 16 && (alg = kr_key_alg_at(i)) != NULL; i++)
			names[i] = kr_key_alg_name(alg);
		kr_script_suggest(hint, sizeof(hint), v, strlen(v), names, i,
		    "algorithms");
		return kr_script_werr(w, NULL, hint, "%s %s=: unknown "
		    "algorithm '%.64s'%s", vb->name, a->name, v, from);
	case ARG_FILENAME:
	case ARG_FILENAME_OR_EMPTY:
		if (kr_script_is_filename(v))
			return 0;
		return kr_script_werr(w, NULL, "a file name is letters, "
		    "digits, '.', '_' and '-', without '/' and not starting "
		    "with '.' or '-'", "%s %s=: '%.64s' is not a plain file "
		    "name%s", vb->name, a->name, v, from);
	default:
		return 0;
	}
}

static int
resolve_step(const struct kr_script *s, const struct kr_script_step *st,
    char **vals, char **sayp)
{
	const struct kr_script_verb *vb;
	const struct kr_script_verb_arg *a;
	struct kr_script_where w = { s->source, 0, 0, NULL };
	size_t i;
	int r;

	vb = kr_script_verb_find(st->verb, strlen(st->verb));
	for (i = 0; i < st->nargs; i++) {
		a = kr_script_verb_arg_find(vb, st->args[i].name,
		    strlen(st->args[i].name));
		w.line = st->args[i].line;
		w.column = st->args[i].column;
		w.base = st->args[i].raw;
		if ((r = kr_script_expand(&w, w.base, strlen(w.base), s,
		    KR_SCRIPT_MAX_VALUE, &vals[i])) != 0 ||
		    (r = check_value(vb, a, &st->args[i], &w, vals[i])) != 0)
			return r;
	}
	w.line = st->say_line;
	w.column = st->say_column;
	w.base = st->say_raw;
	return kr_script_expand(&w, w.base, strlen(w.base), s,
	    KR_SCRIPT_MAX_SAY, sayp);
}

/* "key-class ${name}": the class is the parameter's value. */
static int
resolve_class(struct kr_script *s)
{
	const struct kr_script_param *pm;
	char *c;

	if (s->key_class_param == NULL)
		return 0;
	if ((pm = kr_script_param_find(s, s->key_class_param,
	    strlen(s->key_class_param))) == NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s: no parameter %s "
		    "for key-class", s->source, s->key_class_param);
	if ((c = strdup(pm->value)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "resolving %s", s->source);
	free(s->key_class);
	s->key_class = c;
	return 0;
}

int
kr_script_resolve(struct kr_script *s)
{
	char **vals = NULL, **says = NULL;
	size_t i, j, k, total = 0;
	int r = KR_ERR_NOMEM;

	for (i = 0; i < s->nsteps; i++)
		total += s->steps[i].nargs;
	if ((vals = calloc(total + 1, sizeof(*vals))) == NULL ||
	    (says = calloc(s->nsteps + 1, sizeof(*says))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "resolving %s", s->source);
		goto out;
	}
	for (i = k = 0; i < s->nsteps; k += s->steps[i++].nargs)
		if ((r = resolve_step(s, &s->steps[i], vals + k,
		    &says[i])) != 0)
			goto out;
	if ((r = resolve_class(s)) != 0)
		goto out;
	for (i = k = 0; i < s->nsteps; i++) {
		for (j = 0; j < s->steps[i].nargs; j++, k++) {
			free(s->steps[i].args[j].value);
			s->steps[i].args[j].value = vals[k];
			vals[k] = NULL;
		}
		free(s->steps[i].say);
		s->steps[i].say = says[i];
		says[i] = NULL;
	}
	r = 0;
 out:
	for (i = 0; vals != NULL && i < total; i++)
		free(vals[i]);
	for (i = 0; says != NULL && i < s->nsteps; i++)
		free(says[i]);
	free(vals);
	free(says);
	return r;
}

/* --- the API ------------------------------------------------------------- */

int
kr_script_parse(const char *text, size_t len, const char *filename,
    struct kr_script **sp)
{
	struct kr_script *s = NULL;
	unsigned int hlen;
	int r;

	*sp = NULL;
	if (filename == NULL)
		filename = "<script>";
	if (len > KR_SCRIPT_MAX_BYTES)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: a script is at most "
		    "%d bytes; this one is %zu", filename, KR_SCRIPT_MAX_BYTES,
		    len);
	if ((r = kr_script_check_text(text, len, filename,
	    KR_ERR_SCRIPT_SYNTAX)) != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->source = strdup(filename)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "parsing %s", filename);
		goto out;
	}
	if ((r = kr_script_parse_lines(s, text, len)) != 0 ||
	    (r = kr_script_resolve(s)) != 0)
		goto out;
	if (!EVP_Digest(text, len, s->sha256, &hlen, EVP_sha256(), NULL)) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing the script");
		goto out;
	}
	*sp = s;
	s = NULL;
	r = 0;
 out:
	kr_script_free(s);
	return r;
}

int
kr_script_load(const char *path, struct kr_script **sp)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*sp = NULL;
	if ((r = kr_media_read(path, KR_SCRIPT_MAX_BYTES, &text,
	    &len, NULL)) != 0)
		return r;
	r = kr_script_parse(text, len, path, sp);
	free(text);
	return r;
}

int
kr_script_set_param(struct kr_script *s, const char *name,
    const char *value)
{
	const char *names[KR_SCRIPT_MAX_PARAMS];
	struct kr_script_param *pm;
	char msg[768], hint[512], *v;
	size_t i;

	for (i = 0, pm = NULL; i < s->nparams; i++) {
		names[i] = s->params[i].name;
		if (strcmp(s->params[i].name, name) == 0)
			pm = &s->params[i];
	}
	if (pm == NULL)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "ceremony %s has no "
		    "parameter '%.64s'\nhint: %s", s->name, name,
		    kr_script_suggest(hint, sizeof(hint), name, strlen(name),
		    names, s->nparams, "its parameters are"));
	if (kr_script_param_problem(pm, value, msg, sizeof(msg)) != NULL)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "parameter %s: %s",
		    pm->name, msg);
	if ((v = strdup(value)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "setting %s", pm->name);
	free(pm->value);
	pm->value = v;
	pm->set = 1;
	return 0;
}

const char *
kr_script_arg(const struct kr_script_step *step, const char *name)
{
	const struct kr_script_verb *v;
	const struct kr_script_verb_arg *a;
	size_t i;

	for (i = 0; i < step->nargs; i++)
		if (strcmp(step->args[i].name, name) == 0)
			return step->args[i].value ? step->args[i].value :
			    step->args[i].raw;
	if ((v = kr_script_verb_find(step->verb, strlen(step->verb))) == NULL ||
	    (a = kr_script_verb_arg_find(v, name, strlen(name))) == NULL)
		return NULL;
	return a->def;
}

const char *
kr_script_role_name(enum kr_script_role role)
{
	size_t i;

	for (i = 0; i < KR_SCRIPT_NROLES; i++)
		if (kr_script_roles[i].role == role)
			return kr_script_roles[i].name;
	return "?";
}

const char *
kr_script_verb_at(size_t i)
{
	return i < kr_script_nverbs ? kr_script_verbs[i].name : NULL;
}

void
kr_script_policy_request(const struct kr_script *s,
    struct kr_policy_request *req)
{
	const struct kr_script_verb *v;
	const struct kr_script_verb_arg *a;
	const char *val;
	long long n;
	size_t i;

	memset(req, 0, sizeof(*req));
	req->key_class = s->key_class;
	for (i = 0; i < s->nsteps; i++) {
		if ((v = kr_script_verb_find(s->steps[i].verb,
		    strlen(s->steps[i].verb))) == NULL)
			continue;
		if (v->flags & VERB_ESCROWS)
			req->escrow = 1;
		for (a = v->args; a->name != NULL; a++) {
			if (a->feeds == FEEDS_NONE ||
			    (val = kr_script_arg(&s->steps[i], a->name)) ==
			    NULL)
				continue;
			n = kr_script_uint(val, strlen(val));
			if (a->feeds == FEEDS_ALGORITHM)
				req->algorithm = val;
			else if (a->feeds == FEEDS_VALIDITY)
				req->validity_days = (unsigned)n;
			else if (a->feeds == FEEDS_THRESHOLD)
				req->threshold = (unsigned)n;
			else
				req->shares = (unsigned)n;
		}
	}
}

void
kr_script_free(struct kr_script *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->nparams; i++) {
		for (j = 0; j < s->params[i].nchoices; j++)
			free(s->params[i].choices[j]);
		free(s->params[i].choices);
		free(s->params[i].name);
		free(s->params[i].def);
		free(s->params[i].value);
	}
	for (i = 0; i < s->nsteps; i++) {
		for (j = 0; j < s->steps[i].nargs; j++) {
			free(s->steps[i].args[j].name);
			free(s->steps[i].args[j].raw);
			free(s->steps[i].args[j].value);
		}
		free(s->steps[i].args);
		free(s->steps[i].say_raw);
		free(s->steps[i].say);
	}
	free(s->params);
	free(s->steps);
	free(s->source);
	free(s->name);
	free(s->description);
	free(s->key_class);
	free(s->key_class_param);
	free(s);
}
