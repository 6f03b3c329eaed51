/*
 * symkey.c: raw symmetric keys (see symkey.h): the algorithms, the key
 * check value, and a constant-time hex decoder for key files.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "base/err.h"
#include "symkey.h"

struct kr_symkey_alg {
	const char	*name;
	size_t		 min, max;
};

static const struct kr_symkey_alg algs[] = {
	{ "aes-256", 32, 32 },
	{ "hmac-sha256", 32, 64 },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

const struct kr_symkey_alg *
kr_symkey_alg_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NALGS; i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

const struct kr_symkey_alg *
kr_symkey_alg_at(size_t i)
{
	return i < NALGS ? &algs[i] : NULL;
}

const char *
kr_symkey_alg_name(const struct kr_symkey_alg *alg)
{
	return alg->name;
}

size_t
kr_symkey_alg_min(const struct kr_symkey_alg *alg)
{
	return alg->min;
}

size_t
kr_symkey_alg_max(const struct kr_symkey_alg *alg)
{
	return alg->max;
}

int
kr_symkey_check(const uint8_t *key, size_t len,
    uint8_t out[KR_SYMKEY_CHECK_BYTES])
{
	static const char msg[] = KR_SYMKEY_CHECK_MSG;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_END
	};
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t outlen = 0;
	int r = KR_ERR_LIBCRYPTO;

	if (len == 0 || len > KR_SYMKEY_MAX_BYTES)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "a symmetric key "
		    "of %zu bytes", len);
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, len, params) != 1 ||
	    EVP_MAC_update(ctx, (const uint8_t *)msg, sizeof(msg) - 1) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, KR_SYMKEY_CHECK_BYTES) != 1 ||
	    outlen != KR_SYMKEY_CHECK_BYTES) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "the key check value");
		goto out;
	}
	r = 0;
 out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

/*
 * The value of hex digit c in *v and 0xff in *ok, or *ok 0, without a
 * branch or a table indexed by c: each range test is unsigned arithmetic
 * whose borrow lands in the bits shifted down.
 */
static void
ct_nibble(unsigned char c, unsigned char *v, unsigned char *ok)
{
	unsigned char num, num_ok, alpha, alpha_ok;

	num = c ^ 48U;				/* '0'..'9' -> 0..9 */
	num_ok = (unsigned char)((num - 10U) >> 8);	/* 0xff if < 10 */
	alpha = (unsigned char)((c & ~32U) - 55U);	/* 'A'..'F' -> 10..15 */
	alpha_ok = (unsigned char)(((alpha - 10U) ^ (alpha - 16U)) >> 8);
	*v = (unsigned char)((num_ok & num) | (alpha_ok & alpha));
	*ok = num_ok | alpha_ok;
}

int
kr_symkey_hex_decode(const char *in, size_t inlen, uint8_t *out,
    size_t outlen, size_t *lenp)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t start = 0, end = inlen, i, n;
	unsigned char hi, lo, hi_ok, lo_ok, good = 0xff;

	*lenp = 0;
	/* White space is the file's layout, not the key: skip it. */
	while (start < end && (p[start] == ' ' || p[start] == '\t'))
		start++;
	while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t' ||
	    p[end - 1] == '\n' || p[end - 1] == '\r'))
		end--;
	n = end - start;
	if (n == 0 || n % 2 != 0 || n / 2 > outlen)
		return KR_ERR_FORMAT;
	for (i = 0; i < n / 2; i++) {
		ct_nibble(p[start + 2 * i], &hi, &hi_ok);
		ct_nibble(p[start + 2 * i + 1], &lo, &lo_ok);
		good &= hi_ok & lo_ok;
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	if (good != 0xff) {
		OPENSSL_cleanse(out, outlen);
		return KR_ERR_FORMAT;
	}
	*lenp = n / 2;
	return 0;
}
