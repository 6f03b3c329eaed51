/*
 * fuzz_share.c: libFuzzer harness for the share decoder, kr_share_decode(),
 * and kr_share_check().  Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds
 * are shares made by tests/helpers/mkescrow (tests/fuzz/corpus/share/).
 *
 * Input: one mode byte, then the share bytes, then optionally what an
 * escrow package expects of it (16 bytes of key id, 16 of share-set id,
 * 32 of commitment):
 *
 *   mode bit 0: write the correct checksum into bytes 72..79 first, so that
 *               mutations reach the field checks behind the checksum;
 *   mode bit 1: hand the decoder everything after the mode byte (to test
 *               the length check), rather than the first 80 bytes.
 *
 * A share that decodes must re-encode (kr_share_encode) to the same 80
 * bytes, must pass kr_share_check() against its own key id, set id and
 * commitment, and against the expectations in the input must fail with
 * exactly the error for the first field that differs.  A mismatch calls
 * abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "crypto/share.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPECT_BYTES	(2 * KR_SHARE_ID_BYTES + KR_SHARE_COMMIT_BYTES)

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_share: %s\n", what);
	abort();
}

/* Bytes 72..79 = SHA-256("keyrite share checksum v1" || 0 || 0..71). */
static void
fix_checksum(uint8_t share[KR_SHARE_BYTES])
{
	static const char domain[] = "keyrite share checksum v1";
	EVP_MD_CTX *c;
	uint8_t md[32];
	unsigned int n = 0;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, domain, sizeof(domain)) != 1 ||
	    EVP_DigestUpdate(c, share, KR_SHARE_BYTES - 8) != 1 ||
	    EVP_DigestFinal_ex(c, md, &n) != 1)
		fail("SHA-256");
	EVP_MD_CTX_free(c);
	memcpy(share + KR_SHARE_BYTES - 8, md, 8);
}

static void
check_against(const struct kr_share *s, const uint8_t *exp,
    const uint8_t own[KR_SHARE_COMMIT_BYTES])
{
	const uint8_t *key_id = exp, *set_id = exp + KR_SHARE_ID_BYTES;
	const uint8_t *commit = exp + 2 * KR_SHARE_ID_BYTES;
	int want, r;

	if (memcmp(s->key_id, key_id, KR_SHARE_ID_BYTES) != 0)
		want = KR_ERR_SHARE_FOREIGN_KEY;
	else if (memcmp(s->set_id, set_id, KR_SHARE_ID_BYTES) != 0)
		want = KR_ERR_SHARE_FOREIGN_SET;
	else if (memcmp(own, commit, KR_SHARE_COMMIT_BYTES) != 0)
		want = KR_ERR_SHARE_COMMITMENT;
	else
		want = 0;
	if ((r = kr_share_check(s, "fuzz", key_id, set_id, commit)) != want) {
		fprintf(stderr, "fuzz_share: kr_share_check: %d (%s), want "
		    "%d\n", r, kr_err_detail(), want);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[KR_SHARE_BYTES], again[KR_SHARE_BYTES];
	uint8_t own[KR_SHARE_COMMIT_BYTES], exp[EXPECT_BYTES];
	const uint8_t *in;
	struct kr_share s;
	size_t len;
	int mode, r;

	if (size == 0)
		return 0;
	mode = data[0];
	data++, size--;
	len = size < KR_SHARE_BYTES ? size : KR_SHARE_BYTES;
	memcpy(buf, data, len);
	if ((mode & 1) && len == KR_SHARE_BYTES)
		fix_checksum(buf);
	in = buf;
	if (mode & 2) {
		len = size;
		if (size > KR_SHARE_BYTES)
			in = data;
	}
	memset(&s, 0xa5, sizeof(s));
	r = kr_share_decode(in, len, "fuzz", &s);
	if (r != 0) {
		if (r != KR_ERR_SHARE_FORMAT && r != KR_ERR_SHARE_VERSION &&
		    r != KR_ERR_SHARE_CHECKSUM)
			fail("kr_share_decode failed with an undocumented "
			    "error");
		return 0;
	}
	if (len != KR_SHARE_BYTES)
		fail("decoded a share that is not 80 bytes");
	if (s.m < 2 || s.m > s.n || s.x < 1 || s.x > s.n)
		fail("decoded a share with m, n, x out of range");
	if (kr_share_encode(&s, again) != 0 ||
	    memcmp(again, in, KR_SHARE_BYTES) != 0)
		fail("a decoded share re-encodes to other bytes");
	if (kr_share_commitment(s.set_id, s.x, s.y, own) != 0)
		fail("kr_share_commitment");
	memcpy(exp, s.key_id, KR_SHARE_ID_BYTES);
	memcpy(exp + KR_SHARE_ID_BYTES, s.set_id, KR_SHARE_ID_BYTES);
	memcpy(exp + 2 * KR_SHARE_ID_BYTES, own, KR_SHARE_COMMIT_BYTES);
	check_against(&s, exp, own);
	if (size > KR_SHARE_BYTES) {
		/* Expectations from the input, zero-padded. */
		memset(exp, 0, sizeof(exp));
		len = size - KR_SHARE_BYTES;
		memcpy(exp, data + KR_SHARE_BYTES,
		    len < sizeof(exp) ? len : sizeof(exp));
		check_against(&s, exp, own);
	}
	explicit_bzero(&s, sizeof(s));
	explicit_bzero(buf, sizeof(buf));
	ERR_clear_error();	/* see fuzz_escrow.c */
	return 0;
}
