/*
 * transcript-verify.c: checking a ceremony transcript.
 *
 * The reader walks the file once, line by line, and stops at the first
 * thing that is wrong, naming where: the header, record K (by its position,
 * which is also its sequence number) or the signature block, with the line
 * number.  Every record states its own chain value, so an altered record is
 * caught at that record and not at the end; a forger who recomputed the
 * chain from some record on is caught by the seal signature instead.
 *
 * The order of checks within a record matters for the message: its bytes
 * are hashed and compared before its fields are parsed, so that any change
 * to a record reads "chain value does not match" rather than a puzzling
 * complaint about a field.  A transcript that is intact but ends before the
 * seal, or inside it (a seal whose write was cut short), is reported as
 * unsealed (an interrupted ceremony), distinct from a damaged one.
 *
 * A co-signature counts only if its card's key is bound inside the chain:
 * a "custodian-key-bound" record (card, serial, key-id) written when the
 * card took part.  Anyone can append a validly signed cosignature line made
 * with a fresh key; only the chain, which the seal covers, says which keys
 * belong to the ceremony's cards.  The format is in
 * docs/transcript-format.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/key.h"
#include "host/media.h"
#include "transcript-int.h"
#include "transcript.h"

#define CHAIN_TAIL	71	/* " chain=" and 64 hex digits */
#define MAX_BOUND	1024	/* custodian-key-bound records, at most */
#define BOUND_EVENT	"custodian-key-bound"

/* A card key bound in the chain, as its record states it (encoded). */
struct bound {
	char	label[3 * KR_TRANSCRIPT_LABEL_MAX + 1];
	char	serial[3 * KR_TRANSCRIPT_SERIAL_MAX + 1];
	uint8_t	key_id[32];
};

struct reader {
	const char	*text;
	size_t		 len;
	size_t		 off;		/* of the next line */
	const char	*source;
	/* The line last read. */
	const char	*line;
	size_t		 n;		/* its length, newline excluded */
	unsigned long	 lineno;	/* 1-based */
	int		 complete;	/* it ends with a newline */
	/* Card keys bound by custodian-key-bound records so far. */
	struct bound	*bound;
	size_t		 nbound;
	uint8_t		 pre_seal[32];	/* chain value before the seal */
};

/* What the sealed record says the signature block must hold. */
struct seal {
	const struct kr_key_alg	*alg;
	uint8_t			 key_id[32];
};

static const char *const header_names[] = {
	KR_TRANSCRIPT_MAGIC, "ceremony-id", "ceremony", "script-sha256",
	"policy-sha256", "keyrite-version", "mode",
	"previous-transcript-sha256", "started",
};
#define NHEADER	(sizeof(header_names) / sizeof(header_names[0]))

/* Reads the next line; 0 at the end of the text. */
static int
next_line(struct reader *rd)
{
	const char *nl;

	if (rd->off >= rd->len)
		return 0;
	rd->line = rd->text + rd->off;
	rd->lineno++;
	if ((nl = memchr(rd->line, '\n', rd->len - rd->off)) != NULL) {
		rd->n = (size_t)(nl - rd->line);
		rd->complete = 1;
		rd->off += rd->n + 1;
	} else {
		rd->n = rd->len - rd->off;
		rd->complete = 0;
		rd->off = rd->len;
	}
	return 1;
}

/* "transcript <source>: <where> (line N): <why>" */
static int
fail(const struct reader *rd, int code, const char *where,
    unsigned long lineno, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
fail(const struct reader *rd, int code, const char *where,
    unsigned long lineno, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return kr_err_set(code, "transcript %s: %s (line %lu): %s",
	    rd->source, where, lineno, why);
}

/* Index of the first byte that is not printable ASCII, or n. */
static size_t
first_unprintable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			break;
	return i;
}

/* 64 lower-case hex digits into out. */
static int
hex32(const char *s, size_t n, uint8_t out[32])
{
	char buf[65];
	size_t i;

	if (n != 64)
		return -1;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	memcpy(buf, s, 64);
	buf[64] = '\0';
	return kr_hex_decode(buf, out, 32) == 0 ? 0 : -1;
}

/* Copies s[0..n) as a C string into out[size] (n < size checked). */
static void
copy(char *out, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* --- header ------------------------------------------------------------- */

/* Reads a "name: value" line of the header or the signature block. */
static int
field_line(struct reader *rd, const char *where, int code, const char *name,
    const char **vp, size_t *vnp)
{
	size_t nl = strlen(name), bad;

	if (!next_line(rd))
		return fail(rd, code, where, rd->lineno + 1, "the file ends "
		    "before the '%s:' line: it was cut short", name);
	if (!rd->complete)
		return fail(rd, code, where, rd->lineno, "has no newline at "
		    "its end: the file was cut short");
	if ((bad = first_unprintable(rd->line, rd->n)) < rd->n)
		return fail(rd, code, where, rd->lineno, "byte 0x%02x at "
		    "column %zu: a transcript holds printable ASCII only",
		    (unsigned char)rd->line[bad], bad + 1);
	if (rd->n < nl + 3 || memcmp(rd->line, name, nl) != 0 ||
	    rd->line[nl] != ':' || rd->line[nl + 1] != ' ')
		return fail(rd, code, where, rd->lineno, "expected a '%s: "
		    "...' line", name);
	*vp = rd->line + nl + 2;
	*vnp = rd->n - nl - 2;
	return 0;
}

static int
header_value(struct reader *rd, size_t i, const char *v, size_t n,
    struct kr_transcript_header *h)
{
	const char *bad = NULL;

	switch (i) {
	case 0:
		if (n != 1 || v[0] != '0' + KR_TRANSCRIPT_VERSION)
			bad = "format version is not 1, the only one this "
			    "keyrite reads";
		break;
	case 1:
		if (!kr_transcript_id_ok(v, n))
			bad = "not a ceremony id (YYYYMMDD-HHMMSS-xxxxxxxx)";
		copy(h->ceremony_id, sizeof(h->ceremony_id), v, n);
		break;
	case 2:
		if (!kr_transcript_word_ok(v, n))
			bad = "the ceremony name is not a word";
		copy(h->ceremony, sizeof(h->ceremony), v, n);
		break;
	case 3:
		if (hex32(v, n, h->script_sha256) != 0)
			bad = "not 64 lower-case hex digits";
		break;
	case 4:
		if (hex32(v, n, h->policy_sha256) != 0)
			bad = "not 64 lower-case hex digits";
		break;
	case 5:
		if (!kr_transcript_word_ok(v, n))
			bad = "the keyrite version is not a word";
		copy(h->keyrite_version, sizeof(h->keyrite_version), v, n);
		break;
	case 6:
		if (n == 4 && memcmp(v, "real", 4) == 0)
			h->rehearsal = 0;
		else if (n == 9 && memcmp(v, "rehearsal", 9) == 0)
			h->rehearsal = 1;
		else
			bad = "mode is neither 'real' nor 'rehearsal'";
		break;
	case 7:
		h->has_previous = !(n == 4 && memcmp(v, "none", 4) == 0);
		if (h->has_previous && hex32(v, n, h->previous_sha256) != 0)
			bad = "neither 'none' nor 64 lower-case hex digits";
		break;
	case 8:
		if (!kr_transcript_time_ok(v, n))
			bad = "not a UTC time (YYYY-MM-DDTHH:MM:SSZ)";
		copy(h->started, sizeof(h->started), v, n);
		break;
	}
	if (bad != NULL)
		return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, "header", rd->lineno,
		    "%s: %s", header_names[i], bad);
	return 0;
}

/* Reads the header; c0 receives its chain value. */
static int
read_header(struct reader *rd, struct kr_transcript_header *h,
    uint8_t c0[32])
{
	const char *v;
	uint8_t stated[32];
	size_t i, n;
	int r;

	if (rd->len < strlen(KR_TRANSCRIPT_MAGIC) + 2 ||
	    memcmp(rd->text, KR_TRANSCRIPT_MAGIC ": ",
	    strlen(KR_TRANSCRIPT_MAGIC) + 2) != 0)
		return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, "header", 1, "not a "
		    "keyrite transcript: the first line must be '%s: %d'",
		    KR_TRANSCRIPT_MAGIC, KR_TRANSCRIPT_VERSION);
	for (i = 0; i < NHEADER; i++) {
		if ((r = field_line(rd, "header", KR_ERR_TRANSCRIPT_FORMAT,
		    header_names[i], &v, &n)) != 0 ||
		    (r = header_value(rd, i, v, n, h)) != 0)
			return r;
	}
	if ((r = kr_transcript_sha256(rd->text, rd->off, c0)) != 0 ||
	    (r = field_line(rd, "header", KR_ERR_TRANSCRIPT_FORMAT, "chain",
	    &v, &n)) != 0)
		return r;
	if (hex32(v, n, stated) != 0)
		return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, "header", rd->lineno,
		    "chain: not 64 lower-case hex digits");
	if (memcmp(stated, c0, 32) != 0)
		return fail(rd, KR_ERR_TRANSCRIPT_CHAIN, "header", rd->lineno,
		    "chain value does not match the SHA-256 of lines 1-%lu: "
		    "the header was altered", rd->lineno - 1);
	if (!next_line(rd) || !rd->complete || rd->n != 0)
		return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, "header", rd->lineno,
		    "expected a blank line after the header's chain line");
	return 0;
}

/* --- records ------------------------------------------------------------ */

/* Splits off the next space-separated token of s[*off..n). */
static int
token(const char *s, size_t n, size_t *off, const char **tp, size_t *tnp)
{
	const char *sp;

	if (*off >= n)
		return 0;
	*tp = s + *off;
	if ((sp = memchr(*tp, ' ', n - *off)) == NULL)
		*tnp = n - *off;
	else
		*tnp = (size_t)(sp - *tp);
	*off += *tnp + 1;
	return *tnp > 0;
}

/* The sealed record's facts: algorithm=<name> signer-key-id=<hex>. */
static int
sealed_facts(const char *s, size_t n, struct seal *seal)
{
	char name[16];
	const char *t, *eq;
	size_t off = 0, tn;

	if (!token(s, n, &off, &t, &tn) || (eq = memchr(t, '=', tn)) ==
	    NULL || (size_t)(eq - t) != 9 || memcmp(t, "algorithm", 9) != 0 ||
	    tn - 10 >= sizeof(name))
		return -1;
	copy(name, sizeof(name), eq + 1, tn - 10);
	if ((seal->alg = kr_key_alg_find(name)) == NULL)
		return -1;
	if (!token(s, n, &off, &t, &tn) || tn != 14 + 64 ||
	    memcmp(t, "signer-key-id=", 14) != 0 ||
	    hex32(t + 14, 64, seal->key_id) != 0)
		return -1;
	return off >= n ? 0 : -1;
}

/* Checks the fields of record k, L = line[0..n) without its chain. */
static int
record_fields(const struct reader *rd, unsigned long k, size_t n,
    struct kr_transcript_summary *sum, struct seal *seal, int *sealedp)
{
	const char *s = rd->line, *t, *eq, *why = NULL;
	char seq[24], where[48];
	size_t off = 0, tn;

	snprintf(where, sizeof(where), "record %lu", k);
	snprintf(seq, sizeof(seq), "%lu", k);
	*sealedp = 0;
	if (!token(s, n, &off, &t, &tn) || tn != strlen(seq) ||
	    memcmp(t, seq, tn) != 0)
		why = "its sequence number is not its position";
	else if (!token(s, n, &off, &t, &tn) || !kr_transcript_time_ok(t, tn))
		why = "the time is not YYYY-MM-DDTHH:MM:SSZ";
	if (why == NULL)
		copy(sum->ended, sizeof(sum->ended), t, tn);
	if (why == NULL && (!token(s, n, &off, &t, &tn) ||
	    !kr_transcript_word_ok(t, tn)))
		why = "the event is not a word";
	if (why == NULL)
		*sealedp = tn == 6 && memcmp(t, KR_TRANSCRIPT_SEALED, 6) == 0;
	if (why == NULL && (!token(s, n, &off, &t, &tn) ||
	    !kr_transcript_word_ok(t, tn)))
		why = "the actor is not a word";
	if (why == NULL && *sealedp && (tn != strlen(KR_TRANSCRIPT_SEALER) ||
	    memcmp(t, KR_TRANSCRIPT_SEALER, tn) != 0 ||
	    sealed_facts(s + off, off < n ? n - off : 0, seal) != 0))
		why = "a sealed record must be 'sealed keyrite algorithm=... "
		    "signer-key-id=...'";
	while (why == NULL && off < n) {
		if (!token(s, n, &off, &t, &tn) ||
		    (eq = memchr(t, '=', tn)) == NULL ||
		    !kr_transcript_word_ok(t, (size_t)(eq - t)) ||
		    ((size_t)(eq - t) == 5 && memcmp(t, "chain", 5) == 0))
			why = "a fact is not key=value with a word as key";
		else if (!kr_transcript_pct_ok(eq + 1, tn - (size_t)(eq - t) -
		    1, NULL))
			why = "a fact's value is not canonically "
			    "percent-encoded";
	}
	/* A trailing space leaves off == n + 1 and an empty last token. */
	if (why == NULL && n > 0 && s[n - 1] == ' ')
		why = "it has a trailing space";
	if (why != NULL)
		return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, where, rd->lineno,
		    "%s", why);
	return 0;
}

/* The value (still encoded) of fact key in record line s[0..n), or NULL. */
static const char *
fact(const char *s, size_t n, const char *key, size_t *vnp)
{
	const char *t;
	size_t off = 0, tn, kl = strlen(key);

	while (token(s, n, &off, &t, &tn))
		if (tn > kl && memcmp(t, key, kl) == 0 && t[kl] == '=') {
			*vnp = tn - kl - 1;
			return t + kl + 1;
		}
	return NULL;
}

/*
 * Remembers the card key a custodian-key-bound record binds: card=<label>
 * serial=<serial> key-id=<64 hex>.  A malformed one binds nothing.
 */
static int
note_binding(struct reader *rd, const char *s, size_t n)
{
	const char *ev, *label, *serial, *kid;
	size_t off = 0, tn, ln, sn, kn;
	struct bound *b, *tmp;

	(void)token(s, n, &off, &ev, &tn);	/* sequence */
	(void)token(s, n, &off, &ev, &tn);	/* time */
	if (!token(s, n, &off, &ev, &tn) || tn != strlen(BOUND_EVENT) ||
	    memcmp(ev, BOUND_EVENT, tn) != 0)
		return 0;
	if ((label = fact(s, n, "card", &ln)) == NULL ||
	    (serial = fact(s, n, "serial", &sn)) == NULL ||
	    (kid = fact(s, n, "key-id", &kn)) == NULL ||
	    ln == 0 || ln >= sizeof(b->label) || sn == 0 ||
	    sn >= sizeof(b->serial) || rd->nbound == MAX_BOUND)
		return 0;
	if (rd->nbound % 16 == 0) {
		if ((tmp = reallocarray(rd->bound, rd->nbound + 16,
		    sizeof(*tmp))) == NULL)
			return kr_err_set(KR_ERR_NOMEM, "transcript %s",
			    rd->source);
		rd->bound = tmp;
	}
	b = &rd->bound[rd->nbound];
	if (hex32(kid, kn, b->key_id) != 0)
		return 0;
	copy(b->label, sizeof(b->label), label, ln);
	copy(b->serial, sizeof(b->serial), serial, sn);
	rd->nbound++;
	return 0;
}

/*
 * Checks the line just read as record k: chain (in: the previous value;
 * out: this record's) and, if it is the sealed record, seal.
 */
static int
read_record(struct reader *rd, unsigned long k, uint8_t chain[32],
    struct kr_transcript_summary *sum, struct seal *seal, int *sealedp)
{
	const char *s = rd->line;
	uint8_t stated[32], got[32];
	char where[48];
	size_t bad, n;
	int r;

	snprintf(where, sizeof(where), "record %lu", k);
	if ((bad = first_unprintable(s, rd->n)) < rd->n)
		return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, where, rd->lineno,
		    "byte 0x%02x at column %zu: a transcript holds printable "
		    "ASCII only", (unsigned char)s[bad], bad + 1);
	if (rd->n < CHAIN_TAIL + 1 ||
	    memcmp(s + rd->n - CHAIN_TAIL, " chain=", 7) != 0 ||
	    hex32(s + rd->n - 64, 64, stated) != 0)
		return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, where, rd->lineno,
		    "does not end with ' chain=' and 64 lower-case hex digits");
	n = rd->n - CHAIN_TAIL;
	if ((r = kr_transcript_chain_step(chain, s, n, got)) != 0)
		return r;
	if (memcmp(got, stated, 32) != 0)
		return fail(rd, KR_ERR_TRANSCRIPT_CHAIN, where, rd->lineno,
		    "chain value does not match: this record (or its chain "
		    "value) was altered");
	if ((r = record_fields(rd, k, n, sum, seal, sealedp)) != 0 ||
	    (r = note_binding(rd, s, n)) != 0)
		return r;
	memcpy(chain, got, 32);
	return 0;
}

/* --- signature block ------------------------------------------------------ */

/* Decodes base64 v[0..n) into a public key, checking its algorithm. */
static int
public_key(const char *v, size_t n, const struct kr_key_alg *alg,
    uint8_t **spkip, size_t *spkilenp, EVP_PKEY **keyp)
{
	EVP_PKEY *key = NULL;
	uint8_t *spki = NULL;
	size_t len = 0;

	if (kr_base64_decode(v, n, &spki, &len) != 0 ||
	    kr_key_from_spki(spki, len, &key) != 0 ||
	    kr_key_alg_of(key) != alg) {
		EVP_PKEY_free(key);
		free(spki);
		return -1;
	}
	*spkip = spki;
	*spkilenp = len;
	*keyp = key;
	return 0;
}

/* Verifies base64 signature v[0..n) by key over the seal message. */
static int
signature_ok(const char *v, size_t n, const EVP_PKEY *key,
    const char *msg, size_t msglen)
{
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int ok;

	ok = kr_base64_decode(v, n, &sig, &siglen) == 0 &&
	    kr_key_verify(key, (const uint8_t *)msg, msglen, sig,
	    siglen) == 0;
	free(sig);
	return ok;
}

#define SIG_FAIL(...) \
	fail(rd, KR_ERR_TRANSCRIPT_SIGNATURE, "signature block", rd->lineno, \
	    __VA_ARGS__)

/* The four lines of the ceremony key's signature. */
static int
read_seal(struct reader *rd, const struct seal *seal, const char *msg,
    size_t msglen, const uint8_t *cert_spki, size_t cert_spki_len,
    struct kr_transcript_summary *sum)
{
	const char *where = "signature block", *v;
	EVP_PKEY *key = NULL;
	uint8_t id[32], *spki = NULL;
	size_t n, spkilen = 0;
	char hex[65];
	int r;

	if ((r = field_line(rd, where, KR_ERR_TRANSCRIPT_SIGNATURE,
	    "signature-algorithm", &v, &n)) != 0)
		goto out;
	if (n != strlen(kr_key_alg_name(seal->alg)) ||
	    memcmp(v, kr_key_alg_name(seal->alg), n) != 0) {
		r = SIG_FAIL("the algorithm is not the sealed record's (%s)",
		    kr_key_alg_name(seal->alg));
		goto out;
	}
	if ((r = field_line(rd, where, KR_ERR_TRANSCRIPT_SIGNATURE,
	    "signer-key-id", &v, &n)) != 0)
		goto out;
	if (hex32(v, n, id) != 0 || memcmp(id, seal->key_id, 32) != 0) {
		r = SIG_FAIL("the key id is not the sealed record's");
		goto out;
	}
	if ((r = field_line(rd, where, KR_ERR_TRANSCRIPT_SIGNATURE,
	    "signer-public-key", &v, &n)) != 0)
		goto out;
	if (public_key(v, n, seal->alg, &spki, &spkilen, &key) != 0 ||
	    kr_transcript_sha256(spki, spkilen, id) != 0 ||
	    memcmp(id, seal->key_id, 32) != 0) {
		r = SIG_FAIL("not the DER public key (base64) whose SHA-256 "
		    "is the signer key id");
		goto out;
	}
	if ((r = field_line(rd, where, KR_ERR_TRANSCRIPT_SIGNATURE,
	    "signature", &v, &n)) != 0)
		goto out;
	if (!signature_ok(v, n, key, msg, msglen)) {
		r = SIG_FAIL("the seal signature does not verify over the "
		    "final chain value: the signature, or records rewritten "
		    "with recomputed chain values, were altered");
		goto out;
	}
	if (cert_spki != NULL) {
		if (cert_spki_len != spkilen ||
		    memcmp(cert_spki, spki, spkilen) != 0) {
			kr_hex_encode(seal->key_id, 32, hex, sizeof(hex));
			r = SIG_FAIL("the transcript was sealed by key %s, "
			    "which is not the certificate's public key", hex);
			goto out;
		}
		sum->cert_checked = 1;
	}
	r = 0;
 out:
	EVP_PKEY_free(key);
	free(spki);
	return r;
}

/*
 * One "cosignature: ALG LABEL SERIAL SPKI SIG" line (v[0..n) after the
 * "cosignature: ").  The card signed the cosign message, which names it.
 */
static int
read_cosignature(struct reader *rd, const char *v, size_t n,
    const struct kr_transcript_summary *sum, struct kr_transcript_cosigner *c)
{
	char msg[KR_TRANSCRIPT_COSIGN_MSG_MAX], hex[65];
	int msglen;
	const struct kr_key_alg *alg = NULL;
	const char *t[5];
	EVP_PKEY *key = NULL;
	uint8_t *spki = NULL;
	size_t tn[5], off = 0, raw, spkilen = 0, i;
	char name[16];
	int r = KR_ERR_TRANSCRIPT_SIGNATURE;

	for (i = 0; i < 5; i++)
		if (!token(v, n, &off, &t[i], &tn[i])) {
			r = SIG_FAIL("a cosignature line holds five fields: "
			    "algorithm, card label, serial, public key, "
			    "signature");
			goto out;
		}
	if (off < n || v[n - 1] == ' ' || tn[0] >= sizeof(name)) {
		r = SIG_FAIL("a cosignature line holds five fields");
		goto out;
	}
	copy(name, sizeof(name), t[0], tn[0]);
	if ((alg = kr_key_alg_find(name)) == NULL) {
		r = SIG_FAIL("a cosignature's algorithm is not one keyrite "
		    "knows");
		goto out;
	}
	if (!kr_transcript_pct_ok(t[1], tn[1], &raw) || raw == 0 ||
	    raw > KR_TRANSCRIPT_LABEL_MAX ||
	    !kr_transcript_pct_ok(t[2], tn[2], &raw) || raw == 0 ||
	    raw > KR_TRANSCRIPT_SERIAL_MAX) {
		r = SIG_FAIL("a cosignature's card label or serial is not "
		    "canonically percent-encoded text of the right length");
		goto out;
	}
	kr_hex_encode(sum->chain, 32, hex, sizeof(hex));
	msglen = snprintf(msg, sizeof(msg), "%s %s %s %.*s %.*s\n",
	    KR_TRANSCRIPT_COSIGN_TAG, sum->header.ceremony_id, hex,
	    (int)tn[1], t[1], (int)tn[2], t[2]);
	if (msglen < 0 || (size_t)msglen >= sizeof(msg)) {
		r = SIG_FAIL("a cosignature's label or serial is too long");
		goto out;
	}
	if (public_key(t[3], tn[3], alg, &spki, &spkilen, &key) != 0) {
		r = SIG_FAIL("a cosignature's public key is not a DER "
		    "public key (base64) of its algorithm");
		goto out;
	}
	if (!signature_ok(t[4], tn[4], key, msg, (size_t)msglen)) {
		r = SIG_FAIL("card %.*s's co-signature does not verify over "
		    "the final chain value", (int)tn[1], t[1]);
		goto out;
	}
	copy(c->algorithm, sizeof(c->algorithm), t[0], tn[0]);
	copy(c->label, sizeof(c->label), t[1], tn[1]);
	copy(c->serial, sizeof(c->serial), t[2], tn[2]);
	if ((r = kr_transcript_sha256(spki, spkilen, c->key_id)) != 0)
		goto out;
	for (i = 0; i < rd->nbound; i++)
		if (strcmp(rd->bound[i].label, c->label) == 0 &&
		    strcmp(rd->bound[i].serial, c->serial) == 0 &&
		    memcmp(rd->bound[i].key_id, c->key_id, 32) == 0)
			break;
	if (i == rd->nbound) {
		kr_hex_encode(c->key_id, 32, hex, sizeof(hex));
		r = SIG_FAIL("card %s (serial %s) co-signed with key %s, which "
		    "no %s record in the sealed chain binds to that card: a "
		    "co-signature added after the ceremony, or by another "
		    "card", c->label, c->serial, hex, BOUND_EVENT);
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_free(key);
	free(spki);
	return r;
}

/* The expected card (label and serial as encoded), or NULL. */
static struct kr_transcript_expected *
expected_card(struct kr_transcript_summary *sum, const char *label,
    size_t ln, const char *serial, size_t sn)
{
	unsigned int i;

	for (i = 0; i < sum->nexpected; i++)
		if (strlen(sum->expected[i].label) == ln &&
		    memcmp(sum->expected[i].label, label, ln) == 0 &&
		    strlen(sum->expected[i].serial) == sn &&
		    memcmp(sum->expected[i].serial, serial, sn) == 0)
			return &sum->expected[i];
	return NULL;
}

/* "cosignature-missing: LABEL SERIAL REASON": why a card did not sign. */
static int
read_missing(struct reader *rd, const char *v, size_t n,
    struct kr_transcript_summary *sum)
{
	struct kr_transcript_expected *x;
	const char *t[3];
	size_t tn[3], off = 0, i;

	for (i = 0; i < 3; i++)
		if (!token(v, n, &off, &t[i], &tn[i]))
			return SIG_FAIL("a cosignature-missing line holds "
			    "three fields: card label, serial, reason");
	if (off < n || v[n - 1] == ' ' || !kr_transcript_word_ok(t[2], tn[2]))
		return SIG_FAIL("a cosignature-missing line holds three "
		    "fields, the last a word");
	if ((x = expected_card(sum, t[0], tn[0], t[1], tn[1])) == NULL)
		return SIG_FAIL("a cosignature-missing line names card %.*s "
		    "(serial %.*s), which the chain does not bind",
		    (int)tn[0], t[0], (int)tn[1], t[1]);
	if (x->present || x->missing[0] != '\0')
		return SIG_FAIL("card %s (serial %s) is said missing, but is "
		    "accounted for above", x->label, x->serial);
	copy(x->missing, sizeof(x->missing), t[2], tn[2]);
	return 0;
}

static int
read_cosignatures(struct reader *rd, struct kr_transcript_summary *sum)
{
	static const char prefix[] = "cosignature: ";
	static const char mprefix[] = "cosignature-missing: ";
	struct kr_transcript_cosigner *c;
	struct kr_transcript_expected *x;
	size_t bad, pl = sizeof(prefix) - 1, ml = sizeof(mprefix) - 1;
	unsigned int i;
	int r;

	while (next_line(rd)) {
		if (!rd->complete)
			return SIG_FAIL("has no newline at its end: the file "
			    "was cut short");
		if ((bad = first_unprintable(rd->line, rd->n)) < rd->n)
			return SIG_FAIL("byte 0x%02x at column %zu: a "
			    "transcript holds printable ASCII only",
			    (unsigned char)rd->line[bad], bad + 1);
		if (rd->n > ml && memcmp(rd->line, mprefix, ml) == 0) {
			if ((r = read_missing(rd, rd->line + ml, rd->n - ml,
			    sum)) != 0)
				return r;
			continue;
		}
		if (rd->n <= pl || memcmp(rd->line, prefix, pl) != 0)
			return SIG_FAIL("only 'cosignature: ...' and "
			    "'cosignature-missing: ...' lines may follow the "
			    "signature");
		if (sum->ncosigners == KR_TRANSCRIPT_COSIGN_MAX)
			return SIG_FAIL("more than %d co-signatures",
			    KR_TRANSCRIPT_COSIGN_MAX);
		c = &sum->cosigners[sum->ncosigners];
		if ((r = read_cosignature(rd, rd->line + pl, rd->n - pl, sum,
		    c)) != 0)
			return r;
		for (i = 0; i < sum->ncosigners; i++)
			if (memcmp(sum->cosigners[i].key_id, c->key_id,
			    32) == 0)
				return SIG_FAIL("this co-signature's key "
				    "already co-signed above");
		x = expected_card(sum, c->label, strlen(c->label), c->serial,
		    strlen(c->serial));
		if (x != NULL) {
			if (x->missing[0] != '\0')
				return SIG_FAIL("card %s co-signed after a "
				    "line said it would not", c->label);
			x->present = 1;
		}
		sum->ncosigners++;
	}
	sum->complete = 1;
	for (i = 0; i < sum->nexpected; i++)
		if (!sum->expected[i].present)
			sum->complete = 0;
	return 0;
}

/*
 * Whether the text after the sealed record is a beginning of the
 * signature block that ends early: the file stops (or stops mid-line)
 * before the blank line and the four lines of the seal are all there.
 * The seal goes out in one write, so this is an interrupted write, not an
 * alteration; a block that is all there but wrong is checked as usual.
 */
static int
seal_cut(const struct reader *rd)
{
	const char *p = rd->text + rd->off, *end = rd->text + rd->len, *nl;
	int lines = 0;

	while (p < end && lines < 5) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return 1;	/* a last line without its newline */
		lines++;
		p = nl + 1;
	}
	return lines < 5;
}

/*
 * Every card the chain binds is expected to co-sign (the same card bound
 * twice counts once), except a card whose key sealed the transcript: its
 * seal is its signature (a card check, sealed by the custodian's card).
 */
static void
expect_bound(const struct reader *rd, const struct seal *seal,
    struct kr_transcript_summary *sum)
{
	struct kr_transcript_expected *x;
	size_t i;

	for (i = 0; i < rd->nbound &&
	    sum->nexpected < KR_TRANSCRIPT_COSIGN_MAX; i++) {
		if (memcmp(rd->bound[i].key_id, seal->key_id, 32) == 0)
			continue;
		if (expected_card(sum, rd->bound[i].label,
		    strlen(rd->bound[i].label), rd->bound[i].serial,
		    strlen(rd->bound[i].serial)) != NULL)
			continue;
		x = &sum->expected[sum->nexpected++];
		memset(x, 0, sizeof(*x));
		snprintf(x->label, sizeof(x->label), "%s", rd->bound[i].label);
		snprintf(x->serial, sizeof(x->serial), "%s",
		    rd->bound[i].serial);
		memcpy(x->key_id, rd->bound[i].key_id, 32);
	}
}

/* The blank line, the seal and any co-signatures, up to the end. */
static int
read_signatures(struct reader *rd, const struct seal *seal,
    const uint8_t *cert_spki, size_t cert_spki_len,
    struct kr_transcript_summary *sum)
{
	char msg[KR_TRANSCRIPT_SEAL_MSG_MAX];
	size_t msglen;
	int r;

	if (seal_cut(rd)) {
		sum->seal_cut = 1;
		sum->sealed = 0;
		sum->algorithm[0] = '\0';
		memset(sum->signer_key_id, 0, 32);
		memcpy(sum->chain, rd->pre_seal, 32);
		sum->records--;		/* the sealed record does not count */
		return kr_err_set(KR_ERR_TRANSCRIPT_UNSEALED, "transcript %s: "
		    "unsealed: the seal after record %lu was cut short (the "
		    "ceremony was interrupted while sealing, e.g. the medium "
		    "filled up); records 1-%lu are intact", rd->source,
		    sum->records, sum->records);
	}
	if (!next_line(rd))
		return fail(rd, KR_ERR_TRANSCRIPT_SIGNATURE, "signature block",
		    rd->lineno + 1, "missing: the file ends after the sealed "
		    "record; it was cut short");
	if (!rd->complete || rd->n != 0)
		return SIG_FAIL("expected a blank line after the sealed "
		    "record");
	msglen = kr_transcript_seal_message(sum->header.ceremony_id,
	    sum->chain, msg);
	if ((r = read_seal(rd, seal, msg, msglen, cert_spki, cert_spki_len,
	    sum)) != 0)
		return r;
	return read_cosignatures(rd, sum);
}

/* --- the whole file -------------------------------------------------------- */

/* Reads records until the sealed one; UNSEALED if the file ends first. */
static int
read_records(struct reader *rd, struct kr_transcript_summary *sum,
    struct seal *seal)
{
	unsigned long k;
	char where[48];
	int sealed = 0, r;

	for (k = 1; !sealed; k++) {
		if (!next_line(rd))
			return kr_err_set(KR_ERR_TRANSCRIPT_UNSEALED,
			    "transcript %s: unsealed: ends after record %lu "
			    "(the ceremony did not finish or was "
			    "interrupted); records 1-%lu are intact",
			    rd->source, k - 1, k - 1);
		if (!rd->complete) {
			sum->incomplete_tail = 1;
			return kr_err_set(KR_ERR_TRANSCRIPT_UNSEALED,
			    "transcript %s: unsealed: ends after record %lu "
			    "and a cut-off line %lu, ignored (the ceremony was "
			    "interrupted while writing it); records 1-%lu are "
			    "intact", rd->source, k - 1, rd->lineno, k - 1);
		}
		if (rd->n == 0) {
			snprintf(where, sizeof(where), "record %lu", k);
			return fail(rd, KR_ERR_TRANSCRIPT_FORMAT, where,
			    rd->lineno, "a blank line instead of a record: "
			    "only the sealed record is followed by one");
		}
		memcpy(rd->pre_seal, sum->chain, 32);
		if ((r = read_record(rd, k, sum->chain, sum, seal,
		    &sealed)) != 0)
			return r;
		sum->records = k;
		if (!sealed)
			sum->intact_len = rd->off;
	}
	sum->sealed = 1;
	return 0;
}

int
kr_transcript_verify(const char *text, size_t len, const char *source,
    const uint8_t *cert_spki, size_t cert_spki_len,
    struct kr_transcript_summary *sum)
{
	struct kr_transcript_summary *s = NULL;
	struct reader rd;
	struct seal seal;
	int r;

	memset(sum, 0, sizeof(*sum));
	memset(&rd, 0, sizeof(rd));
	memset(&seal, 0, sizeof(seal));
	rd.text = text;
	rd.len = len;
	rd.source = source;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "transcript %s", source);
	if ((r = read_header(&rd, &s->header, s->chain)) != 0)
		goto out;
	s->intact_len = rd.off;
	if ((r = read_records(&rd, s, &seal)) != 0)
		goto out;
	copy(s->algorithm, sizeof(s->algorithm), kr_key_alg_name(seal.alg),
	    strlen(kr_key_alg_name(seal.alg)));
	expect_bound(&rd, &seal, s);
	memcpy(s->signer_key_id, seal.key_id, 32);
	if ((r = read_signatures(&rd, &seal, cert_spki, cert_spki_len,
	    s)) != 0)
		goto out;
	r = 0;
 out:
	if (r == 0 || r == KR_ERR_TRANSCRIPT_UNSEALED)
		*sum = *s;
	free(s);
	free(rd.bound);
	return r;
}

int
kr_transcript_verify_file(const char *path, const uint8_t *cert_spki,
    size_t cert_spki_len, struct kr_transcript_summary *sum)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(sum, 0, sizeof(*sum));
	if ((r = kr_media_read(path, KR_TRANSCRIPT_FILE_MAX, &text, &len,
	    NULL)) != 0)
		return r;
	r = kr_transcript_verify(text, len, path, cert_spki, cert_spki_len,
	    sum);
	free(text);
	return r;
}
