/*
 * share.c: encode, decode and check one custodian's share.
 *
 * Everything here touches the secret value y, so comparisons that involve
 * it (checksum, commitment) use CRYPTO_memcmp, and every temporary that
 * held it is wiped before returning.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "share.h"

#define CHECKSUM_DOMAIN		"keyrite share checksum v1"
#define COMMIT_DOMAIN		"keyrite share commitment v1"
#define CHECKSUM_BYTES		8
#define BODY_BYTES		(KR_SHARE_BYTES - CHECKSUM_BYTES)

static int
sha256_parts(const char *domain, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[32])
{
	EVP_MD_CTX *md;
	unsigned int outlen = 0;
	int r = KR_ERR_LIBCRYPTO;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return kr_err_libcrypto(KR_ERR_NOMEM, "hashing a share");
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, domain, strlen(domain) + 1) != 1 ||
	    EVP_DigestUpdate(md, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(md, b, blen) != 1) ||
	    EVP_DigestFinal_ex(md, out, &outlen) != 1 || outlen != 32) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing a share");
		goto out;
	}
	r = 0;
 out:
	EVP_MD_CTX_free(md);
	return r;
}

static int
params_ok(uint8_t m, uint8_t n, uint8_t x)
{
	return m >= 2 && m <= n && x >= 1 && x <= n;
}

int
kr_share_encode(const struct kr_share *s, uint8_t out[KR_SHARE_BYTES])
{
	uint8_t sum[32];
	int r;

	if (!params_ok(s->m, s->n, s->x))
		return kr_err_set(KR_ERR_SHARE_FORMAT,
		    "share %u of %u-of-%u: index or threshold out of range",
		    s->x, s->m, s->n);
	memcpy(out, KR_SHARE_MAGIC, 4);
	out[4] = KR_SHARE_VERSION;
	memcpy(out + 5, s->key_id, KR_SHARE_ID_BYTES);
	memcpy(out + 21, s->set_id, KR_SHARE_ID_BYTES);
	out[37] = s->m;
	out[38] = s->n;
	out[39] = s->x;
	memcpy(out + 40, s->y, KR_SHARE_VALUE_BYTES);
	if ((r = sha256_parts(CHECKSUM_DOMAIN, out, BODY_BYTES, NULL, 0,
	    sum)) != 0) {
		explicit_bzero(out, KR_SHARE_BYTES);
		goto out;
	}
	memcpy(out + BODY_BYTES, sum, CHECKSUM_BYTES);
	r = 0;
 out:
	explicit_bzero(sum, sizeof(sum));
	return r;
}

int
kr_share_decode(const uint8_t *in, size_t len, const char *source,
    struct kr_share *s)
{
	uint8_t sum[32];
	int r;

	if (len != KR_SHARE_BYTES)
		return kr_err_set(KR_ERR_SHARE_FORMAT, "share from %s is %zu "
		    "bytes, not %d: it is not a keyrite share or it was "
		    "truncated", source, len, KR_SHARE_BYTES);
	if (memcmp(in, KR_SHARE_MAGIC, 4) != 0)
		return kr_err_set(KR_ERR_SHARE_FORMAT, "share from %s does "
		    "not start with \"KRSH\": it is not a keyrite share or it "
		    "is damaged", source);
	if (in[4] != KR_SHARE_VERSION)
		return kr_err_set(KR_ERR_SHARE_VERSION, "share from %s has "
		    "format version %u; this keyrite reads version %d",
		    source, in[4], KR_SHARE_VERSION);
	if ((r = sha256_parts(CHECKSUM_DOMAIN, in, BODY_BYTES, NULL, 0,
	    sum)) != 0)
		goto out;
	if (CRYPTO_memcmp(sum, in + BODY_BYTES, CHECKSUM_BYTES) != 0) {
		r = kr_err_set(KR_ERR_SHARE_CHECKSUM, "share from %s is "
		    "damaged (its checksum does not match); this card cannot "
		    "take part: use another custodian's card", source);
		goto out;
	}
	if (!params_ok(in[37], in[38], in[39])) {
		r = kr_err_set(KR_ERR_SHARE_FORMAT, "share from %s: index "
		    "%u of %u-of-%u is out of range", source, in[39], in[37],
		    in[38]);
		goto out;
	}
	memcpy(s->key_id, in + 5, KR_SHARE_ID_BYTES);
	memcpy(s->set_id, in + 21, KR_SHARE_ID_BYTES);
	s->m = in[37];
	s->n = in[38];
	s->x = in[39];
	memcpy(s->y, in + 40, KR_SHARE_VALUE_BYTES);
	r = 0;
 out:
	explicit_bzero(sum, sizeof(sum));
	return r;
}

int
kr_share_commitment(const uint8_t set_id[KR_SHARE_ID_BYTES], uint8_t x,
    const uint8_t y[KR_SHARE_VALUE_BYTES], uint8_t out[KR_SHARE_COMMIT_BYTES])
{
	uint8_t buf[KR_SHARE_ID_BYTES + 1 + KR_SHARE_VALUE_BYTES];
	int r;

	memcpy(buf, set_id, KR_SHARE_ID_BYTES);
	buf[KR_SHARE_ID_BYTES] = x;
	memcpy(buf + KR_SHARE_ID_BYTES + 1, y, KR_SHARE_VALUE_BYTES);
	r = sha256_parts(COMMIT_DOMAIN, buf, sizeof(buf), NULL, 0, out);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

int
kr_share_check(const struct kr_share *s, const char *source,
    const uint8_t key_id[KR_SHARE_ID_BYTES],
    const uint8_t set_id[KR_SHARE_ID_BYTES],
    const uint8_t commitment[KR_SHARE_COMMIT_BYTES])
{
	char want[2 * KR_SHARE_ID_BYTES + 1], got[2 * KR_SHARE_ID_BYTES + 1];
	uint8_t c[KR_SHARE_COMMIT_BYTES];
	int r;

	if (memcmp(s->key_id, key_id, KR_SHARE_ID_BYTES) != 0) {
		kr_hex_encode(key_id, KR_SHARE_ID_BYTES, want, sizeof(want));
		kr_hex_encode(s->key_id, KR_SHARE_ID_BYTES, got, sizeof(got));
		return kr_err_set(KR_ERR_SHARE_FOREIGN_KEY, "%s holds a share "
		    "of key %s, not of key %s: this is the wrong card for "
		    "this key", source, got, want);
	}
	if (memcmp(s->set_id, set_id, KR_SHARE_ID_BYTES) != 0) {
		kr_hex_encode(set_id, KR_SHARE_ID_BYTES, want, sizeof(want));
		kr_hex_encode(s->set_id, KR_SHARE_ID_BYTES, got, sizeof(got));
		return kr_err_set(KR_ERR_SHARE_FOREIGN_SET, "%s holds a share "
		    "from split %s of this key, not from split %s named in "
		    "the escrow package (an older or newer roster?)", source,
		    got, want);
	}
	if ((r = kr_share_commitment(s->set_id, s->x, s->y, c)) != 0)
		goto out;
	if (CRYPTO_memcmp(c, commitment, sizeof(c)) != 0) {
		r = kr_err_set(KR_ERR_SHARE_COMMITMENT, "%s: share %u does "
		    "not match its commitment in the escrow package; this card "
		    "cannot take part: use another custodian's card", source,
		    s->x);
		goto out;
	}
	r = 0;
 out:
	explicit_bzero(c, sizeof(c));
	return r;
}
