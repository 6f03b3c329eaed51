/*
 * transcript-read.c: walking a transcript's records for people to read.
 *
 * kr_transcript_verify() decides whether a transcript is good; this file
 * only hands out its records one by one, split into fields, for the paper
 * record and viewers.  It still checks the shape of every line it hands
 * out (a caller may pass text that was not verified), but it judges
 * nothing: no hashes, no signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"
#include "transcript-int.h"
#include "transcript.h"

#define CHAIN_TAIL	71	/* " chain=" and 64 hex digits */
#define HEADER_LINES	11	/* nine fields, chain, blank */

int
kr_transcript_cursor_init(struct kr_transcript_cursor *c, const char *text,
    size_t len)
{
	const char *nl;
	size_t off = 0;
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < HEADER_LINES; i++) {
		if (off >= len || (nl = memchr(text + off, '\n', len - off)) ==
		    NULL)
			return kr_err_set(KR_ERR_TRANSCRIPT_FORMAT, "the "
			    "transcript ends inside its header");
		off = (size_t)(nl - text) + 1;
	}
	if (off < 2 || text[off - 2] != '\n')
		return kr_err_set(KR_ERR_TRANSCRIPT_FORMAT, "no blank line "
		    "after the transcript's header");
	c->text = text;
	c->len = len;
	c->off = off;
	c->next_seq = 1;
	return 0;
}

/* Next space-separated token of s[*off..n) into out[size]. */
static int
word(const char *s, size_t n, size_t *off, char *out, size_t size)
{
	const char *sp;
	size_t tn;

	if (*off >= n)
		return -1;
	sp = memchr(s + *off, ' ', n - *off);
	tn = sp == NULL ? n - *off : (size_t)(sp - (s + *off));
	if (tn == 0 || tn >= size)
		return -1;
	memcpy(out, s + *off, tn);
	out[tn] = '\0';
	*off += tn + 1;
	return 0;
}

int
kr_transcript_cursor_next(struct kr_transcript_cursor *c,
    struct kr_transcript_record *rec)
{
	const char *line, *nl;
	char seq[24], hex[65], want[24];
	size_t n, off = 0, body;

	memset(rec, 0, sizeof(*rec));
	if (c->done || c->off >= c->len)
		return 0;
	line = c->text + c->off;
	if ((nl = memchr(line, '\n', c->len - c->off)) == NULL)
		return 0;	/* a cut-off last line: not a record */
	n = (size_t)(nl - line);
	if (n == 0) {
		c->done = 1;
		c->off += 1;
		return 0;
	}
	snprintf(want, sizeof(want), "%lu", c->next_seq);
	if (n < CHAIN_TAIL + 1 || memcmp(line + n - CHAIN_TAIL, " chain=",
	    7) != 0)
		goto bad;
	body = n - CHAIN_TAIL;
	memcpy(hex, line + n - 64, 64);
	hex[64] = '\0';
	if (kr_hex_decode(hex, rec->chain, 32) != 0 ||
	    word(line, body, &off, seq, sizeof(seq)) != 0 ||
	    strcmp(seq, want) != 0 ||
	    word(line, body, &off, rec->time, sizeof(rec->time)) != 0 ||
	    word(line, body, &off, rec->event, sizeof(rec->event)) != 0 ||
	    word(line, body, &off, rec->actor, sizeof(rec->actor)) != 0)
		goto bad;
	rec->seq = c->next_seq++;
	rec->facts = line + (off < body ? off : body);
	rec->factslen = off < body ? body - off : 0;
	c->off += n + 1;
	if (strcmp(rec->event, KR_TRANSCRIPT_SEALED) == 0 &&
	    strcmp(rec->actor, KR_TRANSCRIPT_SEALER) == 0) {
		/* The signature block follows the blank line. */
		if (c->off < c->len && c->text[c->off] == '\n')
			c->off++;
		c->done = 1;
	}
	return 1;
 bad:
	return kr_err_set(KR_ERR_TRANSCRIPT_FORMAT, "record %lu is not "
	    "'<seq> <time> <event> <actor> [facts] chain=<hex>'",
	    c->next_seq);
}

int
kr_transcript_fact_next(const char *facts, size_t len, size_t *off,
    const char **key, size_t *keylen, const char **value,
    size_t *valuelen)
{
	const char *t, *sp, *eq;
	size_t tn;

	while (*off < len && facts[*off] == ' ')
		(*off)++;
	if (*off >= len)
		return 0;
	t = facts + *off;
	sp = memchr(t, ' ', len - *off);
	tn = sp == NULL ? len - *off : (size_t)(sp - t);
	*off += tn;
	if ((eq = memchr(t, '=', tn)) == NULL) {
		*key = t;
		*keylen = tn;
		*value = t + tn;
		*valuelen = 0;
		return 1;
	}
	*key = t;
	*keylen = (size_t)(eq - t);
	*value = eq + 1;
	*valuelen = tn - *keylen - 1;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kr_transcript_pct_decode(const char *s, size_t n, char **outp,
    size_t *outlenp)
{
	size_t raw = 0, i, o = 0;
	char *out;

	*outp = NULL;
	*outlenp = 0;
	if (!kr_transcript_pct_ok(s, n, &raw))
		return kr_err_set(KR_ERR_FORMAT, "a value is not canonically "
		    "percent-encoded");
	if ((out = malloc(raw + 1)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "decoding a value");
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			out[o++] = (char)(hexval(s[i + 1]) << 4 |
			    hexval(s[i + 2]));
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outp = out;
	*outlenp = o;
	return 0;
}
