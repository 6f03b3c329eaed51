/*
 * escrow.c: encode, parse, seal and open escrow packages.
 *
 * The text format (docs/formats.md) has one spelling only: the parser reads
 * the fields in their fixed order, then re-encodes what it read and demands
 * the same bytes.  So the associated data that the GCM tag covers is exactly
 * the metadata text a person reads on paper, and there is no second,
 * "equivalent" form of a package that could be passed off as the first.
 *
 * Version 2 adds fields (key-check, cryptoperiod-start/-end, supersedes);
 * a version 1 package is read and re-encoded as version 1, so its
 * associated data is unchanged.  Symmetric keys are sealed with their
 * seal key in one plaintext (docs/formats.md, "Symmetric keys").
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "escrow.h"
#include "host/media.h"
#include "key.h"
#include "symkey.h"

#define MAGIC_LINE	"keyrite-escrow"
#define SYM_MAGIC	"KRSY"		/* symmetric plaintext, version 1 */
#define SYM_HEAD	7		/* magic, version, 2-byte length */
#define WRAP		64
#define MAX_FILE	(1024 * 1024)

struct kr_escrow *
kr_escrow_new(uint8_t m, uint8_t n)
{
	struct kr_escrow *e;

	if (m < 2 || m > n)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->roster = calloc(n, sizeof(*e->roster))) == NULL) {
		free(e);
		return NULL;
	}
	e->m = m;
	e->n = n;
	e->version = KR_ESCROW_VERSION;
	return e;
}

void
kr_escrow_free(struct kr_escrow *e)
{
	if (e == NULL)
		return;
	free(e->spki);
	free(e->roster);
	free(e->sealed);
	free(e);
}

int
kr_escrow_set_key(struct kr_escrow *e, const EVP_PKEY *key)
{
	const struct kr_key_alg *alg;
	uint8_t *spki = NULL;
	size_t spkilen = 0;
	int r;

	if ((alg = kr_key_alg_of(key)) == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM,
		    "the key's algorithm is not one keyrite manages");
	if ((r = kr_key_to_spki(key, &spki, &spkilen)) != 0)
		return r;
	if ((r = kr_key_id(key, e->key_id)) != 0) {
		free(spki);
		return r;
	}
	free(e->spki);
	e->spki = spki;
	e->spki_len = spkilen;
	snprintf(e->algorithm, sizeof(e->algorithm), "%s",
	    kr_key_alg_name(alg));
	return 0;
}

static int	time_ok(const char *);

void
kr_escrow_time_format(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
kr_escrow_now(char out[21])
{
	kr_escrow_time_format(time(NULL), out);
}

int
kr_escrow_time_parse(const char *s, time_t *tp)
{
	struct tm tm;
	char again[21];
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!time_ok(s))
		return KR_ERR_FORMAT;
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if ((t = timegm(&tm)) == (time_t)-1)
		return KR_ERR_FORMAT;
	/* One spelling: 2026-02-30 does not pass as March 2. */
	kr_escrow_time_format(t, again);
	if (strcmp(again, s) != 0)
		return KR_ERR_FORMAT;
	*tp = t;
	return 0;
}

void
kr_escrow_set_cryptoperiod(struct kr_escrow *e, time_t start,
    unsigned int days)
{
	kr_escrow_time_format(start, e->cp_start);
	kr_escrow_time_format(start + (time_t)days * 86400, e->cp_end);
}

int
kr_escrow_cryptoperiod(const struct kr_escrow *e, unsigned int days,
    time_t *startp, time_t *endp)
{
	time_t start, end;

	if (e->version >= 2) {
		if (kr_escrow_time_parse(e->cp_start, &start) != 0 ||
		    kr_escrow_time_parse(e->cp_end, &end) != 0)
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s: its "
			    "cryptoperiod is not two UTC times", e->source);
	} else {
		if (kr_escrow_time_parse(e->created, &start) != 0)
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s: created "
			    "is not a UTC time", e->source);
		end = start + (time_t)days * 86400;
	}
	*startp = start;
	*endp = end;
	return 0;
}

/* --- field checks -------------------------------------------------------- */

/* A word: [a-z0-9._-], 1..max bytes. */
static int
word_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/*
 * Text a person typed (names, card labels): valid UTF-8, no control
 * characters, no leading or trailing space, 1..max bytes.
 */
static int
text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, k, extra;

	if (n == 0 || n > max || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i += 1 + extra) {
		unsigned int c = p[i];
		unsigned long cp;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			extra = 0;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			extra = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			extra = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			extra = 3, cp = c & 0x07;
		else
			return 0;
		if (i + extra >= n)
			return 0;
		for (k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((extra == 2 && cp < 0x800) || (extra == 3 &&
		    (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
	}
	return 1;
}

static int
serial_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > KR_ESCROW_SERIAL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
time_ok(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;
	int mon, day;

	if (strlen(s) != sizeof(form) - 1)
		return 0;
	for (i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != form[i])
			return 0;
	mon = atoi(s + 5);
	day = atoi(s + 8);
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 &&
	    atoi(s + 11) < 24 && atoi(s + 14) < 60 && atoi(s + 17) < 61;
}

/* Checks every metadata field; names the first bad one. */
static int
check_fields(const struct kr_escrow *e)
{
	unsigned int i;

	time_t start, end;

	if (e->version < KR_ESCROW_VERSION_MIN || e->version > KR_ESCROW_VERSION)
		return kr_err_set(KR_ERR_ESCROW_VERSION, "format version %d",
		    e->version);
	if (!word_ok(e->key_class, KR_ESCROW_WORD_MAX))
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "key-class '%s' is "
		    "not a word of a-z, 0-9, '.', '_', '-'", e->key_class);
	if (e->symmetric != (kr_symkey_alg_find(e->algorithm) != NULL) ||
	    (kr_key_alg_find(e->algorithm) == NULL && !e->symmetric) ||
	    (e->symmetric && e->version < 2))
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "algorithm '%s' is "
		    "not one keyrite manages%s", e->algorithm, e->version < 2 ?
		    " in a version 1 package" : "");
	if (e->spki == NULL || e->spki_len == 0)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "no public key");
	if (!time_ok(e->created))
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "created '%s' is not "
		    "a UTC time YYYY-MM-DDTHH:MM:SSZ", e->created);
	if (e->version >= 2 && (kr_escrow_time_parse(e->cp_start,
	    &start) != 0 || kr_escrow_time_parse(e->cp_end, &end) != 0 ||
	    end <= start))
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "cryptoperiod '%s' to "
		    "'%s' is not two UTC times YYYY-MM-DDTHH:MM:SSZ, the "
		    "first before the second", e->cp_start, e->cp_end);
	if (e->version < 2 && e->has_supersedes)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "a version 1 package "
		    "cannot supersede another");
	if (e->m < 2 || e->m > e->n)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "threshold %u of %u "
		    "shares is not 2 <= M <= N", e->m, e->n);
	for (i = 0; i < e->n; i++) {
		const struct kr_escrow_custodian *c = &e->roster[i];

		if (!text_ok(c->name, KR_ESCROW_NAME_MAX))
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "custodian "
			    "%u: name must be 1-%d bytes of UTF-8 text without "
			    "control characters or outer spaces", i + 1,
			    KR_ESCROW_NAME_MAX);
		if (!text_ok(c->card, KR_ESCROW_LABEL_MAX))
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "custodian "
			    "%u: card label must be 1-%d bytes of text", i + 1,
			    KR_ESCROW_LABEL_MAX);
		if (!serial_ok(c->serial))
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "custodian "
			    "%u: card serial must be 1-%d printable characters",
			    i + 1, KR_ESCROW_SERIAL_MAX);
	}
	if (!word_ok(e->policy_name, KR_ESCROW_WORD_MAX))
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "policy name '%s' is "
		    "not a word", e->policy_name);
	if (e->has_transcript && !word_ok(e->transcript_id,
	    KR_ESCROW_WORD_MAX))
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "transcript id '%s' "
		    "is not a word", e->transcript_id);
	return 0;
}

/* --- encoding ------------------------------------------------------------ */

static int
put_base64(struct kr_buf *b, const char *key, const uint8_t *p, size_t len)
{
	char *text;
	size_t n, i;
	int r;

	if ((r = kr_base64_encode(p, len, &text)) != 0)
		return kr_err_set(r, "encoding %s", key);
	n = strlen(text);
	kr_buf_printf(b, "%s: ", key);
	for (i = 0; i < n; i += WRAP) {
		if (i > 0)
			kr_buf_puts(b, " ");
		kr_buf_append(b, text + i, n - i < WRAP ? n - i : WRAP);
		kr_buf_puts(b, "\n");
	}
	free(text);
	return 0;
}

static int
encode_metadata(const struct kr_escrow *e, struct kr_buf *b)
{
	unsigned int i;
	int r;

	if ((r = check_fields(e)) != 0)
		return r;
	kr_buf_printf(b, "%s: %d\n", MAGIC_LINE, e->version);
	kr_buf_puts(b, "key-id: ");
	kr_buf_hex(b, e->key_id, sizeof(e->key_id));
	kr_buf_printf(b, "\nkey-class: %s\nalgorithm: %s\n", e->key_class,
	    e->algorithm);
	if (e->symmetric) {
		kr_buf_puts(b, "key-check: ");
		kr_buf_hex(b, e->key_check, sizeof(e->key_check));
		kr_buf_puts(b, "\n");
	}
	if ((r = put_base64(b, "public-key", e->spki, e->spki_len)) != 0)
		return r;
	kr_buf_printf(b, "created: %s\n", e->created);
	if (e->version >= 2)
		kr_buf_printf(b, "cryptoperiod-start: %s\ncryptoperiod-end: "
		    "%s\n", e->cp_start, e->cp_end);
	kr_buf_printf(b, "threshold: %u\nshares: %u\nshare-set: ", e->m,
	    e->n);
	kr_buf_hex(b, e->set_id, sizeof(e->set_id));
	kr_buf_puts(b, "\n");
	for (i = 0; i < e->n; i++) {
		const struct kr_escrow_custodian *c = &e->roster[i];

		kr_buf_printf(b, "custodian.%u.name: %s\n", i + 1, c->name);
		kr_buf_printf(b, "custodian.%u.card: %s\n", i + 1, c->card);
		kr_buf_printf(b, "custodian.%u.serial: %s\n", i + 1,
		    c->serial);
		kr_buf_printf(b, "custodian.%u.commitment: ", i + 1);
		kr_buf_hex(b, c->commitment, sizeof(c->commitment));
		kr_buf_puts(b, "\n");
		if (c->has_key) {
			kr_buf_printf(b, "custodian.%u.key: ", i + 1);
			kr_buf_hex(b, c->key_id, sizeof(c->key_id));
			kr_buf_puts(b, "\n");
		}
	}
	kr_buf_printf(b, "policy: %s\npolicy-hash: ", e->policy_name);
	kr_buf_hex(b, e->policy_hash, sizeof(e->policy_hash));
	if (e->version >= 2 && e->has_supersedes) {
		kr_buf_puts(b, "\nsupersedes: ");
		kr_buf_hex(b, e->supersedes, sizeof(e->supersedes));
	} else if (e->version >= 2)
		kr_buf_puts(b, "\nsupersedes: none");
	if (e->has_transcript) {
		kr_buf_printf(b, "\ntranscript: %s\ntranscript-hash: ",
		    e->transcript_id);
		kr_buf_hex(b, e->transcript_hash, sizeof(e->transcript_hash));
		kr_buf_puts(b, "\n");
	} else
		kr_buf_puts(b, "\ntranscript: none\ntranscript-hash: none\n");
	return 0;
}

int
kr_escrow_metadata(const struct kr_escrow *e, char **textp, size_t *lenp)
{
	struct kr_buf b = { 0 };
	int r;

	*textp = NULL;
	if ((r = encode_metadata(e, &b)) != 0) {
		kr_buf_free(&b);
		return r;
	}
	return kr_buf_take(&b, textp, lenp);
}

int
kr_escrow_encode(const struct kr_escrow *e, char **textp, size_t *lenp)
{
	struct kr_buf b = { 0 };
	int r;

	*textp = NULL;
	if (e->sealed == NULL || e->sealed_len <= KR_ESCROW_TAG_BYTES)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "package not sealed");
	if ((r = encode_metadata(e, &b)) != 0)
		goto fail;
	kr_buf_puts(&b, "nonce: ");
	kr_buf_hex(&b, e->nonce, sizeof(e->nonce));
	kr_buf_puts(&b, "\n");
	if ((r = put_base64(&b, "sealed-key", e->sealed, e->sealed_len)) != 0)
		goto fail;
	return kr_buf_take(&b, textp, lenp);
 fail:
	kr_buf_free(&b);
	return r;
}

/* --- parsing ------------------------------------------------------------- */

struct parser {
	const char	*p;		/* next unread byte */
	const char	*end;
	const char	*source;
	unsigned int	 line;		/* line number of the current field */
	unsigned int	 next_line;
	char		 value[4096];	/* current field's value, joined */
};

/* Reads the next "key: value" field (with continuation lines) as key. */
static int
field(struct parser *ps, const char *key, int may_continue)
{
	size_t klen = strlen(key), vlen = 0, n;
	const char *nl;

	ps->line = ps->next_line;
	for (;;) {
		if (ps->p >= ps->end)
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: "
			    "file ends where '%s:' was expected (truncated?)",
			    ps->source, ps->line, key);
		if ((nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p))) ==
		    NULL)
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: "
			    "last line has no newline (truncated?)",
			    ps->source, ps->next_line);
		n = (size_t)(nl - ps->p);
		if (vlen == 0) {
			if (n < klen + 2 || memcmp(ps->p, key, klen) != 0 ||
			    memcmp(ps->p + klen, ": ", 2) != 0)
				return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s "
				    "line %u: expected '%s: ...'", ps->source,
				    ps->line, key);
			n -= klen + 2;
			if (n >= sizeof(ps->value))
				goto toolong;
			memcpy(ps->value, ps->p + klen + 2, n);
			vlen = n;
		} else {
			if (vlen + n - 1 >= sizeof(ps->value))
				goto toolong;
			memcpy(ps->value + vlen, ps->p + 1, n - 1);
			vlen += n - 1;
		}
		ps->value[vlen] = '\0';
		if (memchr(ps->value, '\0', vlen) != NULL ||
		    memchr(ps->value, '\r', vlen) != NULL)
			return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: "
			    "NUL or carriage return in '%s'", ps->source,
			    ps->next_line, key);
		ps->p = nl + 1;
		ps->next_line++;
		if (!may_continue || ps->p >= ps->end || *ps->p != ' ')
			return 0;
	}
 toolong:
	return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: '%s' is too long",
	    ps->source, ps->line, key);
}

/* Whether the next line is the field key (for optional fields). */
static int
next_is(const struct parser *ps, const char *key)
{
	size_t klen = strlen(key);

	return (size_t)(ps->end - ps->p) > klen + 2 &&
	    memcmp(ps->p, key, klen) == 0 && memcmp(ps->p + klen, ": ", 2) == 0;
}

static int
bad(struct parser *ps, const char *key, const char *why)
{
	return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: %s: %s",
	    ps->source, ps->line, key, why);
}

static int
field_hex(struct parser *ps, const char *key, uint8_t *out, size_t len)
{
	int r;

	if ((r = field(ps, key, 0)) != 0)
		return r;
	if (kr_hex_decode(ps->value, out, len) != 0) {
		char why[64];

		snprintf(why, sizeof(why), "expected %zu hex digits", 2 * len);
		return bad(ps, key, why);
	}
	return 0;
}

static int
field_str(struct parser *ps, const char *key, char *out, size_t outlen)
{
	int r;

	if ((r = field(ps, key, 0)) != 0)
		return r;
	if (strlen(ps->value) >= outlen)
		return bad(ps, key, "too long");
	memcpy(out, ps->value, strlen(ps->value) + 1);
	return 0;
}

static int
field_uint8(struct parser *ps, const char *key, unsigned int min,
    uint8_t *out)
{
	char *endp;
	unsigned long v;
	int r;

	if ((r = field(ps, key, 0)) != 0)
		return r;
	errno = 0;
	v = strtoul(ps->value, &endp, 10);
	if (ps->value[0] < '0' || ps->value[0] > '9' || *endp != '\0' ||
	    errno != 0 || v < min || v > 255)
		return bad(ps, key, "expected a number from 2 to 255");
	*out = (uint8_t)v;
	return 0;
}

static int
field_base64(struct parser *ps, const char *key, uint8_t **outp,
    size_t *lenp)
{
	int r;

	if ((r = field(ps, key, 1)) != 0)
		return r;
	if (kr_base64_decode(ps->value, strlen(ps->value), outp, lenp) != 0)
		return bad(ps, key, "not valid base64");
	return 0;
}

static int
parse_roster(struct parser *ps, struct kr_escrow *e)
{
	char key[64];
	unsigned int i;
	int r;

	for (i = 0; i < e->n; i++) {
		struct kr_escrow_custodian *c = &e->roster[i];

		snprintf(key, sizeof(key), "custodian.%u.name", i + 1);
		if ((r = field_str(ps, key, c->name, sizeof(c->name))) != 0)
			return r;
		snprintf(key, sizeof(key), "custodian.%u.card", i + 1);
		if ((r = field_str(ps, key, c->card, sizeof(c->card))) != 0)
			return r;
		snprintf(key, sizeof(key), "custodian.%u.serial", i + 1);
		if ((r = field_str(ps, key, c->serial,
		    sizeof(c->serial))) != 0)
			return r;
		snprintf(key, sizeof(key), "custodian.%u.commitment", i + 1);
		if ((r = field_hex(ps, key, c->commitment,
		    sizeof(c->commitment))) != 0)
			return r;
		/* Optional: the card's custodian key, when one was enrolled. */
		snprintf(key, sizeof(key), "custodian.%u.key", i + 1);
		if (next_is(ps, key)) {
			if ((r = field_hex(ps, key, c->key_id,
			    sizeof(c->key_id))) != 0)
				return r;
			c->has_key = 1;
		}
	}
	return 0;
}

static int
parse_tail(struct parser *ps, struct kr_escrow *e)
{
	int r;

	if ((r = field_str(ps, "policy", e->policy_name,
	    sizeof(e->policy_name))) != 0 ||
	    (r = field_hex(ps, "policy-hash", e->policy_hash,
	    sizeof(e->policy_hash))) != 0)
		return r;
	if (e->version >= 2) {
		if ((r = field(ps, "supersedes", 0)) != 0)
			return r;
		e->has_supersedes = strcmp(ps->value, "none") != 0;
		if (e->has_supersedes && kr_hex_decode(ps->value,
		    e->supersedes, sizeof(e->supersedes)) != 0)
			return bad(ps, "supersedes", "expected 64 hex digits "
			    "(the SHA-256 of the package superseded) or none");
	}
	if ((r = field_str(ps, "transcript", e->transcript_id,
	    sizeof(e->transcript_id))) != 0)
		return r;
	e->has_transcript = strcmp(e->transcript_id, "none") != 0;
	if (e->has_transcript) {
		if ((r = field_hex(ps, "transcript-hash", e->transcript_hash,
		    sizeof(e->transcript_hash))) != 0)
			return r;
	} else {
		e->transcript_id[0] = '\0';
		if ((r = field(ps, "transcript-hash", 0)) != 0)
			return r;
		if (strcmp(ps->value, "none") != 0)
			return bad(ps, "transcript-hash", "must be 'none' "
			    "when transcript is 'none'");
	}
	if ((r = field_hex(ps, "nonce", e->nonce, sizeof(e->nonce))) != 0 ||
	    (r = field_base64(ps, "sealed-key", &e->sealed,
	    &e->sealed_len)) != 0)
		return r;
	if (e->sealed_len <= KR_ESCROW_TAG_BYTES)
		return bad(ps, "sealed-key", "too short to hold a key");
	if (ps->p != ps->end)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: "
		    "unexpected text after sealed-key", ps->source,
		    ps->next_line);
	return 0;
}

/* The parsed fields must re-encode to exactly the input. */
static int
check_canonical(const struct kr_escrow *e, const char *text, size_t len)
{
	char *again = NULL;
	size_t alen = 0, i;
	unsigned int line = 1;
	int r;

	if ((r = kr_escrow_encode(e, &again, &alen)) != 0)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s: %s", e->source,
		    kr_err_detail());
	for (i = 0; i < len && i < alen && text[i] == again[i]; i++)
		if (text[i] == '\n')
			line++;
	free(again);
	if (i == len && i == alen)
		return 0;
	return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: not in canonical "
	    "form (spacing, case of hex digits or line breaks differ)",
	    e->source, line);
}

static int
parse_head(struct parser *ps, int *versionp)
{
	int r;

	if ((size_t)(ps->end - ps->p) < sizeof(MAGIC_LINE) ||
	    memcmp(ps->p, MAGIC_LINE ":", sizeof(MAGIC_LINE)) != 0)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s: not a keyrite "
		    "escrow package (the first line must be '%s: %d')",
		    ps->source, MAGIC_LINE, KR_ESCROW_VERSION);
	if ((r = field(ps, MAGIC_LINE, 0)) != 0)
		return r;
	if (strcmp(ps->value, "1") == 0)
		*versionp = 1;
	else if (strcmp(ps->value, "2") == 0)
		*versionp = 2;
	else
		return kr_err_set(KR_ERR_ESCROW_VERSION, "%s line 1: format "
		    "version '%s'; this keyrite reads versions %d to %d",
		    ps->source, ps->value, KR_ESCROW_VERSION_MIN,
		    KR_ESCROW_VERSION);
	return 0;
}

/*
 * The public key: the key's own, or for a symmetric package its seal
 * key's (of KR_SYMKEY_SEAL_ALG); its SHA-256 is the key id either way.
 */
static int
parse_public_key(struct parser *ps, struct kr_escrow *e)
{
	uint8_t id[KR_KEY_ID_BYTES];
	const char *want = e->symmetric ? KR_SYMKEY_SEAL_ALG : e->algorithm;
	EVP_PKEY *pub = NULL;
	int r;

	if ((r = field_base64(ps, "public-key", &e->spki, &e->spki_len)))
		return r;
	if ((r = kr_key_from_spki(e->spki, e->spki_len, &pub)) != 0)
		return bad(ps, "public-key", "not a public key keyrite reads");
	r = kr_key_id(pub, id);
	if (r == 0 && (kr_key_alg_of(pub) == NULL || strcmp(want,
	    kr_key_alg_name(kr_key_alg_of(pub))) != 0))
		r = bad(ps, "public-key", e->symmetric ? "a symmetric "
		    "package's seal key is " KR_SYMKEY_SEAL_ALG : "does not "
		    "match the algorithm line");
	EVP_PKEY_free(pub);
	if (r != 0)
		return r;
	if (memcmp(id, e->key_id, sizeof(id)) != 0)
		return bad(ps, "public-key", "its SHA-256 is not the key-id");
	return 0;
}

static int
parse_body(struct parser *ps, struct kr_escrow *e)
{
	int r;

	if ((r = field_hex(ps, "key-id", e->key_id, sizeof(e->key_id))) ||
	    (r = field_str(ps, "key-class", e->key_class,
	    sizeof(e->key_class))) ||
	    (r = field_str(ps, "algorithm", e->algorithm,
	    sizeof(e->algorithm))))
		return r;
	e->symmetric = e->version >= 2 &&
	    kr_symkey_alg_find(e->algorithm) != NULL;
	if (e->symmetric && (r = field_hex(ps, "key-check", e->key_check,
	    sizeof(e->key_check))) != 0)
		return r;
	if ((r = parse_public_key(ps, e)) != 0 ||
	    (r = field_str(ps, "created", e->created, sizeof(e->created))))
		return r;
	if (e->version >= 2 && ((r = field_str(ps, "cryptoperiod-start",
	    e->cp_start, sizeof(e->cp_start))) ||
	    (r = field_str(ps, "cryptoperiod-end", e->cp_end,
	    sizeof(e->cp_end)))))
		return r;
	if ((r = field_uint8(ps, "threshold", 2, &e->m)) ||
	    (r = field_uint8(ps, "shares", 2, &e->n)))
		return r;
	if (e->m > e->n)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s line %u: "
		    "shares: %u is fewer than the threshold %u",
		    ps->source, ps->line, e->n, e->m);
	if ((e->roster = calloc(e->n, sizeof(*e->roster))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", ps->source);
	if ((r = field_hex(ps, "share-set", e->set_id, sizeof(e->set_id))))
		return r;
	if ((r = parse_roster(ps, e)) != 0)
		return r;
	return parse_tail(ps, e);
}

int
kr_escrow_parse(const char *text, size_t len, const char *source,
    struct kr_escrow **ep)
{
	struct parser ps;
	struct kr_escrow *e = NULL;
	int r, version = 0;

	*ep = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.p = text;
	ps.end = text + len;
	ps.source = source;
	ps.next_line = 1;
	if ((r = parse_head(&ps, &version)) != 0)
		return r;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", source);
	e->version = version;
	snprintf(e->source, sizeof(e->source), "%s", source);
	if ((r = parse_body(&ps, e)) != 0)
		goto out;
	if ((r = check_fields(e)) != 0) {
		r = kr_err_set(KR_ERR_ESCROW_FORMAT, "%s: %s", source,
		    kr_err_detail());
		goto out;
	}
	if ((r = check_canonical(e, text, len)) != 0)
		goto out;
	*ep = e;
	e = NULL;
 out:
	kr_escrow_free(e);
	return r;
}

int
kr_escrow_load(const char *path, struct kr_escrow **ep)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*ep = NULL;
	if ((r = kr_media_read(path, MAX_FILE, &text, &len, NULL)) != 0)
		return r == KR_ERR_TOO_LARGE ? kr_err_set(KR_ERR_ESCROW_FORMAT,
		    "%s", kr_err_detail()) : r;
	r = kr_escrow_parse(text, len, path, ep);
	free(text);
	return r;
}

/* --- sealing ------------------------------------------------------------- */

static int
gcm(int enc, const uint8_t *kek, const uint8_t nonce[KR_ESCROW_NONCE_BYTES],
    const char *aad, size_t aadlen, const uint8_t *in, size_t inlen,
    uint8_t *out, uint8_t tag[KR_ESCROW_TAG_BYTES])
{
	EVP_CIPHER_CTX *c;
	int n = 0, fin = 0, r = KR_ERR_LIBCRYPTO;

	if (inlen > (size_t)1 << 30 || aadlen > (size_t)1 << 30)
		return kr_err_set(KR_ERR_TOO_LARGE, "sealing");
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return kr_err_libcrypto(KR_ERR_NOMEM, "AES-256-GCM");
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN,
	    KR_ESCROW_NONCE_BYTES, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, kek, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)aad,
	    (int)aadlen) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)inlen) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "AES-256-GCM");
		goto out;
	}
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
	    KR_ESCROW_TAG_BYTES, tag) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "AES-256-GCM tag");
		goto out;
	}
	if (EVP_CipherFinal_ex(c, out + n, &fin) != 1) {
		/* Decryption: the tag did not verify. */
		r = enc ? kr_err_libcrypto(KR_ERR_LIBCRYPTO, "AES-256-GCM") :
		    KR_ERR_ESCROW_INTEGRITY;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
	    KR_ESCROW_TAG_BYTES, tag) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "AES-256-GCM tag");
		goto out;
	}
	r = 0;
 out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

/* Encrypts plain under kek with the metadata as associated data. */
static int
seal_plain(struct kr_escrow *e, const uint8_t *plain, size_t len,
    const uint8_t *kek)
{
	uint8_t *sealed = NULL;
	char *aad = NULL;
	size_t aadlen = 0;
	int r;

	if ((r = kr_escrow_metadata(e, &aad, &aadlen)) != 0)
		goto out;
	if ((sealed = malloc(len + KR_ESCROW_TAG_BYTES)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "sealing");
		goto out;
	}
	if (RAND_bytes(e->nonce, sizeof(e->nonce)) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "random nonce");
		goto out;
	}
	if ((r = gcm(1, kek, e->nonce, aad, aadlen, plain, len, sealed,
	    sealed + len)) != 0)
		goto out;
	free(e->sealed);
	e->sealed = sealed;
	e->sealed_len = len + KR_ESCROW_TAG_BYTES;
	sealed = NULL;
	r = 0;
 out:
	free(sealed);
	free(aad);
	return r;
}

int
kr_escrow_seal(struct kr_escrow *e, const EVP_PKEY *key, const uint8_t *kek)
{
	uint8_t *der = NULL, id[KR_KEY_ID_BYTES];
	size_t derlen = 0;
	int r;

	if (e->symmetric)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "a symmetric "
		    "package is sealed with kr_escrow_seal_symmetric()");
	if ((r = kr_key_id(key, id)) != 0)
		return r;
	if (memcmp(id, e->key_id, sizeof(id)) != 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "sealing a key "
		    "whose id differs from the package's key-id");
	if ((r = kr_key_to_pkcs8(key, &der, &derlen)) != 0)
		goto out;
	r = seal_plain(e, der, derlen, kek);
 out:
	kr_secmem_free(der, derlen);
	return r;
}

int
kr_escrow_set_symmetric(struct kr_escrow *e, const struct kr_symkey_alg *alg,
    const uint8_t *raw, size_t len, const EVP_PKEY *seal_key)
{
	const struct kr_key_alg *salg = kr_key_alg_of(seal_key);
	int r;

	if (len < kr_symkey_alg_min(alg) || len > kr_symkey_alg_max(alg))
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "a %s key is %zu to "
		    "%zu bytes, not %zu", kr_symkey_alg_name(alg),
		    kr_symkey_alg_min(alg), kr_symkey_alg_max(alg), len);
	if (salg == NULL || strcmp(kr_key_alg_name(salg),
	    KR_SYMKEY_SEAL_ALG) != 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "a symmetric "
		    "package's seal key is %s", KR_SYMKEY_SEAL_ALG);
	if ((r = kr_escrow_set_key(e, seal_key)) != 0 ||
	    (r = kr_symkey_check(raw, len, e->key_check)) != 0)
		return r;
	snprintf(e->algorithm, sizeof(e->algorithm), "%s",
	    kr_symkey_alg_name(alg));
	e->symmetric = 1;
	return 0;
}

int
kr_escrow_seal_symmetric(struct kr_escrow *e, const uint8_t *raw, size_t len,
    const EVP_PKEY *seal_key, const uint8_t *kek)
{
	uint8_t *der = NULL, *plain = NULL, id[KR_KEY_ID_BYTES];
	uint8_t check[KR_SYMKEY_CHECK_BYTES];
	size_t derlen = 0, plainlen = 0;
	int r;

	if (!e->symmetric || len == 0 || len > KR_SYMKEY_MAX_BYTES)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "sealing a "
		    "symmetric key: the package is not set for one");
	if ((r = kr_key_id(seal_key, id)) != 0 ||
	    (r = kr_symkey_check(raw, len, check)) != 0)
		return r;
	if (memcmp(id, e->key_id, sizeof(id)) != 0 ||
	    CRYPTO_memcmp(check, e->key_check, sizeof(check)) != 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "sealing a "
		    "symmetric key or seal key other than the package's");
	if ((r = kr_key_to_pkcs8(seal_key, &der, &derlen)) != 0)
		goto out;
	plainlen = SYM_HEAD + len + derlen;
	if ((plain = kr_secmem_alloc(plainlen)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	memcpy(plain, SYM_MAGIC, 4);
	plain[4] = 1;
	plain[5] = (uint8_t)(len >> 8);
	plain[6] = (uint8_t)len;
	memcpy(plain + SYM_HEAD, raw, len);
	memcpy(plain + SYM_HEAD + len, der, derlen);
	r = seal_plain(e, plain, plainlen, kek);
 out:
	kr_secmem_free(plain, plainlen);
	kr_secmem_free(der, derlen);
	return r;
}

/* Decrypts e under kek into *plainp (kr_secmem, *lenp bytes). */
static int
open_plain(const struct kr_escrow *e, const uint8_t *kek, uint8_t **plainp,
    size_t *lenp)
{
	uint8_t *plain = NULL, tag[KR_ESCROW_TAG_BYTES];
	size_t len = 0, aadlen = 0;
	char *aad = NULL;
	int r;

	*plainp = NULL;
	*lenp = 0;
	if (e->sealed == NULL || e->sealed_len <= KR_ESCROW_TAG_BYTES)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s: no sealed key",
		    e->source);
	len = e->sealed_len - KR_ESCROW_TAG_BYTES;
	memcpy(tag, e->sealed + len, sizeof(tag));
	if ((r = kr_escrow_metadata(e, &aad, &aadlen)) != 0)
		goto out;
	if ((plain = kr_secmem_alloc(len)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	if ((r = gcm(0, kek, e->nonce, aad, aadlen, e->sealed, len, plain,
	    tag)) != 0) {
		if (r == KR_ERR_ESCROW_INTEGRITY)
			kr_err_set(r, "%s: the package was altered, or the "
			    "shares are of another split of this key; do not "
			    "use this copy: open another copy of the package",
			    e->source[0] ? e->source : "escrow package");
		goto out;
	}
	*plainp = plain;
	*lenp = len;
	plain = NULL;
	r = 0;
 out:
	kr_secmem_free(plain, len);
	free(aad);
	return r;
}

/* Decodes a private key and proves it is the one e names. */
static int
open_key(const struct kr_escrow *e, const uint8_t *der, size_t len,
    EVP_PKEY **keyp)
{
	EVP_PKEY *key = NULL;
	int r;

	*keyp = NULL;
	if ((r = kr_key_from_pkcs8(der, len, &key)) != 0)
		return r;
	if ((r = kr_key_prove_match(key, e->spki, e->spki_len)) != 0) {
		r = kr_err_set(KR_ERR_ESCROW_KEY_MISMATCH, "%s: %s",
		    e->source[0] ? e->source : "escrow package",
		    kr_err_detail());
		EVP_PKEY_free(key);
		return r;
	}
	*keyp = key;
	return 0;
}

int
kr_escrow_open(const struct kr_escrow *e, const uint8_t *kek,
    EVP_PKEY **keyp)
{
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	*keyp = NULL;
	if (e->symmetric)
		return kr_escrow_open_symmetric(e, kek, keyp, NULL, NULL);
	if ((r = open_plain(e, kek, &der, &derlen)) != 0)
		return r;
	r = open_key(e, der, derlen, keyp);
	kr_secmem_free(der, derlen);
	return r;
}

int
kr_escrow_open_symmetric(const struct kr_escrow *e, const uint8_t *kek,
    EVP_PKEY **keyp, uint8_t **rawp, size_t *lenp)
{
	uint8_t *plain = NULL, *raw = NULL, check[KR_SYMKEY_CHECK_BYTES];
	size_t plainlen = 0, len = 0;
	EVP_PKEY *key = NULL;
	int r;

	*keyp = NULL;
	if (rawp != NULL) {
		*rawp = NULL;
		*lenp = 0;
	}
	if (!e->symmetric)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s holds no "
		    "symmetric key", e->source);
	if ((r = open_plain(e, kek, &plain, &plainlen)) != 0)
		return r;
	if (plainlen > SYM_HEAD)
		len = (size_t)plain[5] << 8 | plain[6];
	if (plainlen <= SYM_HEAD || memcmp(plain, SYM_MAGIC, 4) != 0 ||
	    plain[4] != 1 || len == 0 || len > KR_SYMKEY_MAX_BYTES ||
	    len >= plainlen - SYM_HEAD) {
		r = kr_err_set(KR_ERR_ESCROW_FORMAT, "%s: the sealed symmetric "
		    "key is not in keyrite's layout", e->source);
		goto out;
	}
	if ((r = kr_symkey_check(plain + SYM_HEAD, len, check)) != 0)
		goto out;
	if (CRYPTO_memcmp(check, e->key_check, sizeof(check)) != 0) {
		r = kr_err_set(KR_ERR_ESCROW_KEY_MISMATCH, "%s: the key "
		    "inside is not the one whose key-check the package names",
		    e->source);
		goto out;
	}
	if ((r = open_key(e, plain + SYM_HEAD + len,
	    plainlen - SYM_HEAD - len, &key)) != 0)
		goto out;
	if (rawp != NULL) {
		if ((raw = kr_secmem_alloc(len)) == NULL) {
			r = KR_ERR_SECMEM_MLOCK;
			goto out;
		}
		memcpy(raw, plain + SYM_HEAD, len);
		*rawp = raw;
		*lenp = len;
		raw = NULL;
	}
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	EVP_PKEY_free(key);
	explicit_bzero(check, sizeof(check));
	kr_secmem_free(plain, plainlen);
	return r;
}
