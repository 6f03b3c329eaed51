/*
 * fuzz_transcript.c: libFuzzer harness for the transcript verifier,
 * kr_transcript_verify() on text.  Run with `make fuzz`
 * (tests/fuzz/fuzz.mk); seeds are transcripts made by
 * tests/helpers/mktranscript, sealed and cut off by SIGKILL
 * (tests/fuzz/corpus/transcript/).
 *
 * Input: one mode byte, then the transcript text.
 *
 *   mode bit 0: before verifying, rewrite the header's and every record's
 *               chain value to the right one, so that mutations of a record
 *               get past the chain check to the field parser behind it
 *               (otherwise nearly every mutation stops at "chain value
 *               does not match");
 *   mode bit 1: pass the signer's own public key (the "signer-public-key:"
 *               line, decoded) as the certificate's, so that the
 *               certificate comparison succeeds;
 *   mode bit 2: pass a foreign key as the certificate's instead; then
 *               verification must not succeed.
 *
 * What kr_transcript.h promises is checked: *sum zeroed on every error
 * other than KR_ERR_TRANSCRIPT_UNSEALED, only documented error codes,
 * sealed and cert_checked consistent with the result, strings in *sum
 * NUL-terminated.  A transcript that verifies is also cut after each of
 * its records in turn (one chosen by the input): the prefix must read as
 * unsealed with exactly that many intact records, and one byte shorter as
 * unsealed with a cut-off tail.  A mismatch calls abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "base/err.h"
#include "base/hex.h"
#include "record/transcript-int.h"
#include "record/transcript.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_LINES	11	/* 9 fields, chain, blank line */
#define CHAIN_TAIL	71	/* " chain=" and 64 hex digits */

static void
fail(const char *what, int r)
{
	fprintf(stderr, "fuzz_transcript: %s (r = %d: %s)\n", what, r,
	    kr_err_detail());
	abort();
}

/* Puts the right chain values into the header and the records. */
static void
fix_chains(char *t, size_t len)
{
	uint8_t chain[32], next[32];
	char hex[65], *nl, *l;
	size_t off = 0, n, line = 0;

	while (off < len && (nl = memchr(t + off, '\n', len - off)) != NULL) {
		l = t + off;
		n = (size_t)(nl - l);
		line++;
		if (line == HEADER_LINES - 1) {
			if (n != 7 + 64 || memcmp(l, "chain: ", 7) != 0 ||
			    kr_transcript_sha256(t, off, chain) != 0)
				return;
			kr_hex_encode(chain, 32, hex, sizeof(hex));
			memcpy(l + 7, hex, 64);
		} else if (line > HEADER_LINES) {
			if (n <= CHAIN_TAIL ||
			    memcmp(l + n - CHAIN_TAIL, " chain=", 7) != 0 ||
			    kr_transcript_chain_step(chain, l, n - CHAIN_TAIL,
			    next) != 0)
				return;
			memcpy(chain, next, sizeof(chain));
			kr_hex_encode(chain, 32, hex, sizeof(hex));
			memcpy(l + n - 64, hex, 64);
		}
		off += n + 1;
	}
}

/* The decoded "signer-public-key:" line, or NULL. */
static uint8_t *
signer_spki(const char *t, size_t len, size_t *lenp)
{
	static const char tag[] = "\nsigner-public-key: ";
	const char *p = NULL, *end;
	uint8_t *spki = NULL;
	size_t i;

	for (i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (memcmp(t + i, tag, sizeof(tag) - 1) == 0) {
			p = t + i + sizeof(tag) - 1;
			break;
		}
	if (p == NULL || (end = memchr(p, '\n', len - (size_t)(p - t))) ==
	    NULL || kr_base64_decode(p, (size_t)(end - p), &spki, lenp) != 0)
		return NULL;
	return spki;
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
check_summary(const struct kr_transcript_summary *s)
{
	unsigned int i;

	if (!terminated(s->header.ceremony_id, sizeof(s->header.ceremony_id)) ||
	    !terminated(s->header.ceremony, sizeof(s->header.ceremony)) ||
	    !terminated(s->header.keyrite_version,
	    sizeof(s->header.keyrite_version)) ||
	    !terminated(s->header.started, sizeof(s->header.started)) ||
	    !terminated(s->ended, sizeof(s->ended)) ||
	    !terminated(s->algorithm, sizeof(s->algorithm)) ||
	    s->ncosigners > KR_TRANSCRIPT_COSIGN_MAX)
		fail("a summary field is not terminated or out of range", 0);
	for (i = 0; i < s->ncosigners; i++)
		if (!terminated(s->cosigners[i].algorithm,
		    sizeof(s->cosigners[i].algorithm)) ||
		    !terminated(s->cosigners[i].label,
		    sizeof(s->cosigners[i].label)) ||
		    !terminated(s->cosigners[i].serial,
		    sizeof(s->cosigners[i].serial)))
			fail("a co-signer's field is not terminated", 0);
}

/* Offset just after line `lines` (1-based), or 0 if there is none. */
static size_t
after_line(const char *t, size_t len, unsigned long lines)
{
	const char *nl;
	size_t off = 0;

	while (lines-- > 0) {
		if ((nl = memchr(t + off, '\n', len - off)) == NULL)
			return 0;
		off = (size_t)(nl - t) + 1;
	}
	return off;
}

/* A good transcript cut after record k: unsealed, k records intact. */
static void
check_prefixes(const char *t, size_t len, unsigned long records,
    size_t choice)
{
	struct kr_transcript_summary *s;
	unsigned long k = choice % records;	/* 0 .. records - 1 */
	size_t cut;
	int r;

	if ((s = malloc(sizeof(*s))) == NULL)
		return;
	if ((cut = after_line(t, len, HEADER_LINES + k)) == 0)
		fail("a good transcript has fewer lines than records", 0);
	r = kr_transcript_verify(t, cut, "fuzz-prefix", NULL, 0, s);
	if (r != KR_ERR_TRANSCRIPT_UNSEALED || s->records != k ||
	    s->incomplete_tail || s->sealed)
		fail("a good transcript cut after a record is not unsealed "
		    "with that many records", r);
	if (k > 0) {
		r = kr_transcript_verify(t, cut - 1, "fuzz-prefix", NULL, 0,
		    s);
		if (r != KR_ERR_TRANSCRIPT_UNSEALED || s->records != k - 1 ||
		    !s->incomplete_tail || s->sealed)
			fail("a good transcript cut inside a record is not "
			    "unsealed with a cut-off tail", r);
	}
	free(s);
}

static void
check_result(int r, const struct kr_transcript_summary *s, int cert)
{
	static const struct kr_transcript_summary zero;

	switch (r) {
	case 0:
		if (!s->sealed || s->records == 0 || s->incomplete_tail ||
		    s->cert_checked != (cert != 0))
			fail("verified, but the summary disagrees", r);
		break;
	case KR_ERR_TRANSCRIPT_UNSEALED:
		if (s->sealed || s->cert_checked || s->ncosigners != 0)
			fail("unsealed, but the summary disagrees", r);
		break;
	case KR_ERR_TRANSCRIPT_FORMAT:
	case KR_ERR_TRANSCRIPT_CHAIN:
	case KR_ERR_TRANSCRIPT_SIGNATURE:
	case KR_ERR_NOMEM:
	case KR_ERR_LIBCRYPTO:
		if (memcmp(s, &zero, sizeof(zero)) != 0)
			fail("failed, but *sum is not zeroed", r);
		break;
	default:
		fail("an undocumented error", r);
	}
	check_summary(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t foreign[91] = { 0x30, 0x59 };
	struct kr_transcript_summary *s = NULL;
	const uint8_t *cert = NULL;
	uint8_t *spki = NULL;
	size_t certlen = 0, spkilen = 0;
	char *t = NULL;
	int mode, r;

	if (size == 0)
		return 0;
	mode = data[0];
	data++, size--;
	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((t = malloc(size ? size : 1)) == NULL ||
	    (s = malloc(sizeof(*s))) == NULL)
		goto out;
	memcpy(t, data, size);
	if (mode & 1)
		fix_chains(t, size);
	if ((mode & 2) && (spki = signer_spki(t, size, &spkilen)) != NULL) {
		cert = spki;
		certlen = spkilen;
	} else if (mode & 4) {
		cert = foreign;
		certlen = sizeof(foreign);
	}
	memset(s, 0xa5, sizeof(*s));
	r = kr_transcript_verify(t, size, "fuzz", cert, certlen, s);
	check_result(r, s, cert != NULL);
	if (r == 0 && cert == foreign)
		fail("verified with a foreign certificate key", r);
	if (r == 0)
		check_prefixes(t, size, s->records, size);
 out:
	free(spki);
	free(s);
	free(t);
	ERR_clear_error();	/* see fuzz_escrow.c */
	return 0;
}
