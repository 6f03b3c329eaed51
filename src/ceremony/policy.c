/*
 * policy.c: the key policy file and the check of a ceremony against it.
 *
 * The file is INI-like and strict: "[section]" lines, "key = value"
 * lines, "#" comment lines, nothing else.  Every key class must appear
 * with every key it needs, once; unknown sections, keys and values are
 * errors "file:line:column: message" with a hint, in the manner of the
 * script parser (whose text checks and suggestions this file shares).
 * The keys are data (keys[] below): name, type, bounds, field.
 *
 * Some bounds are not the policy author's to choose, because they are
 * what keyrite is for: a threshold is at least 2 (no single person can
 * use a key), and at least one share is spare (N > M, so that one lost or
 * broken card does not lose the key).
 *
 * kr_policy_check() never stops at the first violation: the people in
 * the room should learn everything that is wrong before anyone inserts a
 * card, not one problem per attempt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/key.h"
#include "crypto/symkey.h"
#include "host/media.h"
#include "policy.h"
#include "script.h"

#define SECTION_POLICY	KR_POLICY_NCLASSES	/* the [policy] section */
#define NSECTIONS	(KR_POLICY_NCLASSES + 1)

static const struct {
	const char	*name;
	const char	*no_escrow_why;	/* why escrow = never, if it is */
} classes[KR_POLICY_NCLASSES] = {
	{ "root-ca", NULL },
	{ "intermediate-ca", NULL },
	{ "firmware-signing", NULL },
	{ "secure-boot", NULL },
	{ "data-at-rest", NULL },
	{ "device-identity", "a device identity key must stay unique to its "
	    "device and non-exportable" },
};

enum key_type { K_UINT, K_ALGS, K_ESCROW, K_IMPORT };

struct policy_key {
	const char	*name;
	enum key_type	 type;
	unsigned	 min, max;
	size_t		 off;		/* K_UINT: the field */
	int		 quorum;	/* only if escrow is not never */
	const char	*why_min;	/* why min is what it is */
	int		 optional;	/* may be left out: 0 or its default */
};

#define F(field)	offsetof(struct kr_policy_class, field)

static const struct policy_key keys[] = {
	{ "algorithms", K_ALGS, 0, 0, 0, 0, NULL, 0 },
	{ "max-validity-days", K_UINT, 0, 36525, F(max_validity_days), 0,
	    NULL, 0 },
	{ "min-threshold", K_UINT, 2, 255, F(min_threshold), 1,
	    "a threshold of 1 would let a single person use the key", 0 },
	{ "min-shares", K_UINT, 2, 255, F(min_shares), 1, NULL, 0 },
	{ "min-spare-shares", K_UINT, 1, 254, F(min_spare_shares), 1,
	    "without a spare share one lost or broken card loses the key", 0 },
	{ "escrow", K_ESCROW, 0, 0, 0, 0, NULL, 0 },
	{ "cryptoperiod-days", K_UINT, 1, 36525, F(cryptoperiod_days), 0,
	    NULL, 0 },
	{ "pin-attempts", K_UINT, 1, 10, F(pin_attempts), 0, NULL, 0 },
	{ "recovery-window-minutes", K_UINT, 1, 1440,
	    F(recovery_window_minutes), 1, NULL, 0 },
	/* Added with the key's lifecycle; older policy files lack them. */
	{ "drill-interval-days", K_UINT, 1, 3653, F(drill_interval_days), 1,
	    NULL, 1 },
	{ "import", K_IMPORT, 0, 0, 0, 0, NULL, 1 },
	/* Only classes whose keys issue CRLs have it. */
	{ "max-crl-next-update-days", K_UINT, 1, 3653,
	    F(max_crl_next_update_days), 0, NULL, 1 },
	/* Only classes whose keys certify OCSP responders or sign responses. */
	{ "max-ocsp-signer-days", K_UINT, 1, 3653, F(max_ocsp_signer_days),
	    0, NULL, 1 },
	{ "max-ocsp-next-update-days", K_UINT, 1, 3653,
	    F(max_ocsp_next_update_days), 0, NULL, 1 },
	/* New keys go here, at the end: KEY_* below index this table. */
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))
#define KEY_ESCROW	5	/* keys[KEY_ESCROW] is "escrow" */
#define KEY_DRILL	9	/* "drill-interval-days" */
#define KEY_IMPORT	10	/* "import" */

static const char *const escrow_words[] = { "required", "allowed",
	"never" };
static const char *const import_words[] = { "never", "allowed" };

#define QUALIFIED_USAGE	"write: qualified-token = MANUFACTURER / MODEL, " \
			"as keyrite cards lists them"

struct pparser {
	struct kr_policy	*p;
	const char		*source;
	size_t			 lineno;
	const char		*line;
	int			 section;		/* -1: none yet */
	size_t			 section_line[NSECTIONS];
	size_t			 key_line[NSECTIONS][NKEYS];
};

static int
perr(const struct pparser *pp, const char *at, const char *hint,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
perr(const struct pparser *pp, const char *at, const char *hint,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(KR_ERR_POLICY_SYNTAX, "%s:%zu:%zu: %s%s%s",
	    pp->source, pp->lineno, at ? kr_script_column(pp->line, at) : 1,
	    msg, hint ? "\nhint: " : "", hint ? hint : "");
}

static int
word_is(const char *p, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(p, word, len) == 0;
}

static int
parse_section(struct pparser *pp, const char *p, const char *eol)
{
	const char *names[NSECTIONS], *close;
	char hint[512];
	size_t i, len;

	if ((close = memchr(p, ']', (size_t)(eol - p))) == NULL)
		return perr(pp, p, "write: [name]", "unterminated section "
		    "header");
	if (close + 1 != eol)
		return perr(pp, close + 1, NULL, "unexpected text after ']'");
	p++;
	len = (size_t)(close - p);
	for (i = 0; i < KR_POLICY_NCLASSES; i++)
		names[i] = classes[i].name;
	names[SECTION_POLICY] = "policy";
	for (i = 0; i < NSECTIONS && !word_is(p, len, names[i]); i++)
		;
	if (i == NSECTIONS)
		return perr(pp, p, kr_script_suggest(hint, sizeof(hint),
		    p, len, names, NSECTIONS, "sections"),
		    "unknown section '%.*s'", (int)(len > 64 ? 64 : len), p);
	if (pp->section_line[i] != 0)
		return perr(pp, p - 1, NULL, "duplicate section [%s] (first "
		    "at line %zu)", names[i], pp->section_line[i]);
	pp->section = (int)i;
	pp->section_line[i] = pp->lineno;
	if (i < KR_POLICY_NCLASSES) {
		pp->p->classes[i].name = classes[i].name;
		pp->p->classes[i].line = pp->lineno;
	}
	return 0;
}

/* Parses 1..9 digits, no leading zero; -1 if not a number. */
static long long
parse_num(const char *s, size_t len)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > 9 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

static int
parse_uint_value(struct pparser *pp, const struct policy_key *k,
    const char *v, size_t len, struct kr_policy_class *c)
{
	long long n;

	if ((n = parse_num(v, len)) < 0)
		return perr(pp, v, NULL, "%s: '%.*s' is not a whole number",
		    k->name, (int)(len > 64 ? 64 : len), v);
	if (n < k->min)
		return perr(pp, v, k->why_min, "%s = %lld is below the least "
		    "keyrite accepts, %u", k->name, n, k->min);
	if (n > k->max)
		return perr(pp, v, NULL, "%s = %lld is above the most keyrite "
		    "accepts, %u", k->name, n, k->max);
	*(unsigned *)(void *)((char *)c + k->off) = (unsigned)n;
	return 0;
}

static int
parse_algorithms(struct pparser *pp, const char *v, const char *eol,
    struct kr_policy_class *c)
{
	const char *names[KR_POLICY_MAX_ALGS], *q;
	const struct kr_key_alg *alg;
	char hint[512], w[KR_SCRIPT_MAX_NAME + 1];
	size_t i, n;

	const struct kr_symkey_alg *sym;
	const char *name;

	for (n = 0; n < KR_POLICY_MAX_ALGS &&
	    (alg = kr_key_alg_at(n)) != NULL; n++)
		names[n] = kr_key_alg_name(alg);
	for (i = 0; n < KR_POLICY_MAX_ALGS &&
	    (sym = kr_symkey_alg_at(i)) != NULL; i++)
		names[n++] = kr_symkey_alg_name(sym);
	while (v < eol) {
		for (q = v; q < eol && *q != ' '; q++)
			;
		if (q == v) {
			v++;
			continue;
		}
		snprintf(w, sizeof(w), "%.*s", (int)(q - v > 64 ? 64 : q - v),
		    v);
		alg = kr_key_alg_find(w);
		sym = kr_symkey_alg_find(w);
		if (alg == NULL && sym == NULL)
			return perr(pp, v, kr_script_suggest(hint,
			    sizeof(hint), v, (size_t)(q - v), names, n,
			    "algorithms"),
			    "unknown algorithm '%s'", w);
		name = alg != NULL ? kr_key_alg_name(alg) :
		    kr_symkey_alg_name(sym);
		for (i = 0; i < c->nalgorithms; i++)
			if (strcmp(c->algorithms[i], w) == 0)
				return perr(pp, v, NULL, "algorithm %s is "
				    "listed twice", w);
		if (c->nalgorithms == KR_POLICY_MAX_ALGS)
			return perr(pp, v, NULL, "more than %d algorithms",
			    KR_POLICY_MAX_ALGS);
		c->algorithms[c->nalgorithms++] = name;
		v = q;
	}
	return 0;
}

static int
parse_escrow(struct pparser *pp, const char *v, size_t len,
    struct kr_policy_class *c)
{
	char hint[256];
	size_t i;

	for (i = 0; i < 3; i++)
		if (word_is(v, len, escrow_words[i])) {
			c->escrow = (enum kr_policy_escrow)i;
			return 0;
		}
	return perr(pp, v, kr_script_suggest(hint, sizeof(hint), v,
	    len, escrow_words, 3, "escrow is one of"), "unknown escrow setting '%.*s'",
	    (int)(len > 64 ? 64 : len), v);
}

static int
parse_import(struct pparser *pp, const char *v, size_t len,
    struct kr_policy_class *c)
{
	char hint[256];
	size_t i;

	for (i = 0; i < 2; i++)
		if (word_is(v, len, import_words[i])) {
			c->import = (enum kr_policy_import)i;
			return 0;
		}
	return perr(pp, v, kr_script_suggest(hint, sizeof(hint), v, len,
	    import_words, 2, "import is one of"), "unknown import setting "
	    "'%.*s'", (int)(len > 64 ? 64 : len), v);
}

static int
parse_name(struct pparser *pp, const char *k, const char *v, size_t len)
{
	size_t i;

	if (pp->p->name != NULL)
		return perr(pp, k, NULL, "duplicate key 'name'");
	for (i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' &&
		    v[i] <= '9') || v[i] == '.' || v[i] == '_' || v[i] == '-'))
			break;
	if (len == 0 || len > KR_POLICY_NAME_MAX || i != len)
		return perr(pp, v, "a policy name is lower-case letters, "
		    "digits, '.', '_' and '-'", "invalid policy name '%.*s'",
		    (int)(len > 64 ? 64 : len), v);
	if ((pp->p->name = strndup(v, len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", pp->source);
	return 0;
}

/*
 * One half of "MANUFACTURER / MODEL": 1 to max bytes of printable ASCII
 * (what a PKCS#11 token reports), no blank at either end, into out.
 */
static int
token_field(struct pparser *pp, const char *v, size_t len, size_t max,
    const char *what, char *out)
{
	size_t i;

	if (len == 0 || v[0] == ' ' || v[len - 1] == ' ')
		return perr(pp, v, QUALIFIED_USAGE, "the %s is empty or starts "
		    "or ends with a blank", what);
	for (i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return perr(pp, v + i, "copy the words keyrite cards "
			    "lists: a token reports them in ASCII", "the %s is "
			    "not printable ASCII", what);
	if (len > max)
		return perr(pp, v + max, NULL, "the %s is longer than the %zu "
		    "bytes a PKCS#11 token reports", what, max);
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

/* qualified-token = MANUFACTURER / MODEL (repeatable). */
static int
parse_qualified(struct pparser *pp, const char *v, size_t len)
{
	struct kr_policy *p = pp->p;
	struct kr_policy_token q, *dup;
	const char *sep = NULL;
	size_t i;
	int r;

	for (i = 0; i + 3 <= len; i++) {
		if (memcmp(v + i, " / ", 3) != 0)
			continue;
		if (sep != NULL)
			return perr(pp, v + i + 1, QUALIFIED_USAGE, "a second "
			    "' / ' in qualified-token");
		sep = v + i;
	}
	if (sep == NULL)
		return perr(pp, v, QUALIFIED_USAGE, "qualified-token needs ' / ' "
		    "between the manufacturer and the model");
	memset(&q, 0, sizeof(q));
	q.line = pp->lineno;
	if ((r = token_field(pp, v, (size_t)(sep - v), sizeof(q.manufacturer)
	    - 1, "manufacturer", q.manufacturer)) != 0 ||
	    (r = token_field(pp, sep + 3, len - (size_t)(sep + 3 - v),
	    sizeof(q.model) - 1, "model", q.model)) != 0)
		return r;
	for (i = 0; i < p->nqualified; i++) {
		dup = &p->qualified[i];
		if (strcmp(dup->manufacturer, q.manufacturer) == 0 &&
		    strcmp(dup->model, q.model) == 0)
			return perr(pp, v, NULL, "%s / %s is qualified twice "
			    "(first at line %zu)", q.manufacturer, q.model,
			    dup->line);
	}
	if (p->nqualified == KR_POLICY_MAX_QUALIFIED)
		return perr(pp, v, NULL, "more than %d qualified tokens",
		    KR_POLICY_MAX_QUALIFIED);
	p->qualified[p->nqualified++] = q;
	return 0;
}

/* The [policy] section: name, qualified-token. */
static int
parse_policy_key(struct pparser *pp, const char *k, size_t klen,
    const char *v, size_t len)
{
	static const char *const names[] = { "name", "qualified-token" };
	char hint[256];

	if (word_is(k, klen, names[0]))
		return parse_name(pp, k, v, len);
	if (word_is(k, klen, names[1]))
		return parse_qualified(pp, v, len);
	return perr(pp, k, kr_script_suggest(hint, sizeof(hint), k, klen,
	    names, 2, "[policy] has"), "unknown key '%.*s' in [policy]",
	    (int)(klen > 64 ? 64 : klen), k);
}

static int
parse_pair(struct pparser *pp, const char *p, const char *eol)
{
	const char *eq, *kend, *v, *names[NKEYS];
	char hint[512];
	size_t i, klen;

	if ((eq = memchr(p, '=', (size_t)(eol - p))) == NULL)
		return perr(pp, p, NULL, "expected 'key = value' or "
		    "'[section]'");
	for (kend = eq; kend > p && kend[-1] == ' '; kend--)
		;
	for (v = eq + 1; v < eol && *v == ' '; v++)
		;
	klen = (size_t)(kend - p);
	if (pp->section < 0)
		return perr(pp, p, "start with a [section] line", "'%.*s' "
		    "outside a section", (int)(klen > 64 ? 64 : klen), p);
	if (v == eol)
		return perr(pp, eq, NULL, "'%.*s' has no value",
		    (int)(klen > 64 ? 64 : klen), p);
	/* Before the '#' rule: token models say "PKCS#15 emulated". */
	if (pp->section == SECTION_POLICY)
		return parse_policy_key(pp, p, klen, v, (size_t)(eol - v));
	if (memchr(v, '#', (size_t)(eol - v)) != NULL)
		return perr(pp, memchr(v, '#', (size_t)(eol - v)), NULL,
		    "a comment must be on a line of its own");
	for (i = 0; i < NKEYS; i++) {
		names[i] = keys[i].name;
		if (word_is(p, klen, keys[i].name))
			break;
	}
	if (i == NKEYS)
		return perr(pp, p, kr_script_suggest(hint, sizeof(hint),
		    p, klen, names, NKEYS, "keys"), "unknown key '%.*s'",
		    (int)(klen > 64 ? 64 : klen), p);
	if (pp->key_line[pp->section][i] != 0)
		return perr(pp, p, NULL, "duplicate key '%s' (first at line "
		    "%zu)", keys[i].name, pp->key_line[pp->section][i]);
	pp->key_line[pp->section][i] = pp->lineno;
	if (keys[i].type == K_ALGS)
		return parse_algorithms(pp, v, eol,
		    &pp->p->classes[pp->section]);
	if (keys[i].type == K_ESCROW)
		return parse_escrow(pp, v, (size_t)(eol - v),
		    &pp->p->classes[pp->section]);
	if (keys[i].type == K_IMPORT)
		return parse_import(pp, v, (size_t)(eol - v),
		    &pp->p->classes[pp->section]);
	return parse_uint_value(pp, &keys[i], v, (size_t)(eol - v),
	    &pp->p->classes[pp->section]);
}

/* Every section present, each with the keys its escrow setting needs. */
static int
check_complete(struct pparser *pp)
{
	const struct kr_policy_class *c;
	char hint[128];
	size_t i, k;
	int never;

	pp->line = NULL;
	if (pp->section_line[SECTION_POLICY] == 0 || pp->p->name == NULL) {
		pp->lineno = pp->section_line[SECTION_POLICY] ?
		    pp->section_line[SECTION_POLICY] : 1;
		return perr(pp, NULL, "add a section [policy] with a line "
		    "name = ...", "the policy has no name");
	}
	for (i = 0; i < KR_POLICY_NCLASSES; i++) {
		pp->lineno = pp->section_line[i] ? pp->section_line[i] : 1;
		if (pp->section_line[i] == 0)
			return perr(pp, NULL, "every key class needs a section",
			    "the policy has no [%s] section", classes[i].name);
		c = &pp->p->classes[i];
		never = pp->key_line[i][KEY_ESCROW] != 0 &&
		    c->escrow == KR_POLICY_ESCROW_NEVER;
		for (k = 0; k < NKEYS; k++) {
			if (keys[k].quorum && never && pp->key_line[i][k]) {
				pp->lineno = pp->key_line[i][k];
				return perr(pp, NULL, "remove it", "%s has no "
				    "meaning for %s, whose escrow is never",
				    keys[k].name, c->name);
			}
			if (pp->key_line[i][k] == 0 && keys[k].optional)
				continue;
			if (pp->key_line[i][k] == 0 && !(keys[k].quorum &&
			    never)) {
				snprintf(hint, sizeof(hint), "add a line: %s = "
				    "...", keys[k].name);
				return perr(pp, NULL, hint, "[%s] has no %s",
				    c->name, keys[k].name);
			}
		}
		if (never && c->import == KR_POLICY_IMPORT_ALLOWED) {
			pp->lineno = pp->key_line[i][KEY_IMPORT];
			return perr(pp, NULL, "write: import = never", "%s "
			    "keys are never escrowed, so none can be imported "
			    "into escrow", c->name);
		}
		if (!never && pp->key_line[i][KEY_DRILL] == 0)
			pp->p->classes[i].drill_interval_days =
			    KR_POLICY_DRILL_INTERVAL_DEFAULT;
	}
	return 0;
}

static int
parse_policy_line(struct pparser *pp, const char *p, const char *eol)
{
	if (p == eol || *p == '#')
		return 0;
	if (*p == ' ')
		return perr(pp, p, NULL, "policy lines start in column 1");
	if (*p == '[')
		return parse_section(pp, p, eol);
	return parse_pair(pp, p, eol);
}

int
kr_policy_parse(const char *text, size_t len, const char *source,
    struct kr_policy **pp_out)
{
	struct pparser pp;
	const char *p = text, *end = text + len, *nl;
	unsigned int hlen;
	int r;

	*pp_out = NULL;
	if (source == NULL)
		source = "<policy>";
	if (len > KR_POLICY_MAX_BYTES)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: a policy is at most "
		    "%d bytes; this one is %zu", source, KR_POLICY_MAX_BYTES,
		    len);
	if ((r = kr_script_check_text(text, len, source,
	    KR_ERR_POLICY_SYNTAX)) != 0)
		return r;
	memset(&pp, 0, sizeof(pp));
	pp.section = -1;
	pp.source = source;
	if ((pp.p = calloc(1, sizeof(*pp.p))) == NULL ||
	    (pp.p->source = strdup(source)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "parsing %s", source);
		goto out;
	}
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		pp.lineno++;
		pp.line = p;
		if ((r = parse_policy_line(&pp, p, nl)) != 0)
			goto out;
	}
	if ((r = check_complete(&pp)) != 0)
		goto out;
	if (!EVP_Digest(text, len, pp.p->sha256, &hlen, EVP_sha256(), NULL)) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing the policy");
		goto out;
	}
	*pp_out = pp.p;
	pp.p = NULL;
	r = 0;
 out:
	kr_policy_free(pp.p);
	return r;
}

int
kr_policy_load(const char *path, struct kr_policy **pp)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*pp = NULL;
	if ((r = kr_media_read(path, KR_POLICY_MAX_BYTES, &text,
	    &len, NULL)) != 0)
		return r;
	r = kr_policy_parse(text, len, path, pp);
	free(text);
	return r;
}

const uint8_t *
kr_policy_sha256(const struct kr_policy *p)
{
	return p->sha256;
}

const struct kr_policy_class *
kr_policy_class(const struct kr_policy *p, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < KR_POLICY_NCLASSES; i++)
		if (strcmp(classes[i].name, name) == 0)
			return &p->classes[i];
	return NULL;
}

int
kr_policy_token_qualified(const struct kr_policy *p,
    const char *manufacturer, const char *model)
{
	size_t i;

	for (i = 0; i < p->nqualified; i++)
		if (strcmp(p->qualified[i].manufacturer, manufacturer) == 0 &&
		    strcmp(p->qualified[i].model, model) == 0)
			return 1;
	return 0;
}

const char *
kr_policy_class_name_at(size_t i)
{
	return i < KR_POLICY_NCLASSES ? classes[i].name : NULL;
}

/* --- checking ------------------------------------------------------------ */

struct vlist {
	char	**v;
	size_t	  n;
	int	  failed;
};

static void
add(struct vlist *l, const char *fmt, ...) __attribute__((format(printf,
    2, 3)));

static void
add(struct vlist *l, const char *fmt, ...)
{
	char buf[512], *s, **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (l->failed || (s = strdup(buf)) == NULL) {
		l->failed = 1;
		return;
	}
	if ((grown = realloc(l->v, (l->n + 1) * sizeof(*grown))) == NULL) {
		free(s);
		l->failed = 1;
		return;
	}
	l->v = grown;
	l->v[l->n++] = s;
}

static void
check_algorithm(const struct kr_policy_class *c, const char *alg,
    struct vlist *l)
{
	char allowed[512];
	size_t i, used = 0;

	for (i = 0; i < c->nalgorithms; i++)
		if (strcmp(c->algorithms[i], alg) == 0)
			return;
	allowed[0] = '\0';
	for (i = 0; i < c->nalgorithms && used < sizeof(allowed); i++)
		used += (size_t)snprintf(allowed + used, sizeof(allowed) - used,
		    "%s%s", i ? ", " : "", c->algorithms[i]);
	add(l, "algorithm %.64s is not allowed for %s (allowed: %s)", alg,
	    c->name, allowed);
}

static void
check_quorum(const struct kr_policy_class *c, unsigned m, unsigned n,
    struct vlist *l)
{
	if (m < c->min_threshold)
		add(l, "threshold %u is below the minimum of %u for %s", m,
		    c->min_threshold, c->name);
	if (n < c->min_shares)
		add(l, "share count %u is below the minimum of %u for %s", n,
		    c->min_shares, c->name);
	if (m > n)
		add(l, "threshold %u is larger than the share count %u: a "
		    "quorum could never be assembled", m, n);
	else if (n - m < c->min_spare_shares)
		add(l, "share count %u leaves %u spare share%s over threshold "
		    "%u; %s needs at least %u (shares > threshold), so that "
		    "one lost card does not lose the key", n, n - m,
		    n - m == 1 ? "" : "s", m, c->name, c->min_spare_shares);
}

static void
check_class(const struct kr_policy_class *c, const char *why_never,
    const struct kr_policy_request *req, int import, struct vlist *l)
{
	if (req->algorithm != NULL)
		check_algorithm(c, req->algorithm, l);
	if (req->validity_days > 0 && c->max_validity_days == 0)
		add(l, "certificates are not allowed for %s keys, but one "
		    "valid for %u days was asked for", c->name,
		    req->validity_days);
	else if (req->validity_days > c->max_validity_days)
		add(l, "certificate validity of %u days exceeds the maximum "
		    "of %u days for %s", req->validity_days,
		    c->max_validity_days, c->name);
	if (req->escrow && c->escrow == KR_POLICY_ESCROW_NEVER)
		add(l, "%s keys may never be escrowed: %s", c->name,
		    why_never ? why_never : "the policy says escrow = never");
	else if (!req->escrow && req->algorithm != NULL &&
	    c->escrow == KR_POLICY_ESCROW_REQUIRED)
		add(l, "%s keys must be escrowed: the appliance keeps no key, "
		    "so a key that is not escrowed is lost when the ceremony "
		    "ends", c->name);
	else if (req->escrow)
		check_quorum(c, req->threshold, req->shares, l);
	if (import && c->escrow != KR_POLICY_ESCROW_NEVER &&
	    c->import != KR_POLICY_IMPORT_ALLOWED)
		add(l, "%s keys may not be imported into escrow: the policy "
		    "says import = never (or does not say: never is the "
		    "default); only a key made on this appliance is escrowed "
		    "for %s", c->name, c->name);
}

static int
check(const struct kr_policy *p, const struct kr_policy_request *req,
    int import, char ***violationsp, size_t *np)
{
	struct vlist l = { NULL, 0, 0 };
	struct kr_buf b = { 0 };
	const struct kr_policy_class *c;
	size_t i;

	*violationsp = NULL;
	*np = 0;
	if (req->key_class == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "the ceremony names "
		    "no key class");
	if ((c = kr_policy_class(p, req->key_class)) == NULL)
		add(&l, "key class %.64s is not in policy %s", req->key_class,
		    p->name);
	else
		check_class(c, classes[c - p->classes].no_escrow_why, req,
		    import, &l);
	if (l.failed) {
		kr_policy_violations_free(l.v, l.n);
		return kr_err_set(KR_ERR_NOMEM, "checking the policy");
	}
	if (l.n == 0)
		return 0;
	kr_buf_printf(&b, "policy %s refuses this ceremony (%zu violation%s): ",
	    p->name, l.n, l.n == 1 ? "" : "s");
	for (i = 0; i < l.n; i++)
		kr_buf_printf(&b, "%s%s", i ? "; " : "", l.v[i]);
	kr_err_set(KR_ERR_POLICY_VIOLATION, "%s", b.data ? b.data : "");
	kr_buf_free(&b);
	*violationsp = l.v;
	*np = l.n;
	return KR_ERR_POLICY_VIOLATION;
}

int
kr_policy_check(const struct kr_policy *p,
    const struct kr_policy_request *req, char ***violationsp, size_t *np)
{
	return check(p, req, 0, violationsp, np);
}

int
kr_policy_check_import(const struct kr_policy *p,
    const struct kr_policy_request *req, char ***violationsp, size_t *np)
{
	return check(p, req, 1, violationsp, np);
}

void
kr_policy_violations_free(char **violations, size_t n)
{
	size_t i;

	if (violations == NULL)
		return;
	for (i = 0; i < n; i++)
		free(violations[i]);
	free(violations);
}

void
kr_policy_free(struct kr_policy *p)
{
	if (p == NULL)
		return;
	free(p->source);
	free(p->name);
	free(p);
}
