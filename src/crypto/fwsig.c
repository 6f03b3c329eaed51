/*
 * fwsig.c: firmware signature schemes, one row per key algorithm, and raw
 * signatures over a precomputed digest.
 *
 * ECDSA and RSA sign a digest directly (EVP_PKEY_sign with the digest's
 * name set, which is what `openssl dgst -sign` does after hashing).
 * EdDSA has no such call: it signs its message, and here the message is
 * the digest (fwsig.h says why).  Every signature is verified with the
 * public half before it leaves this file, so a fault in signing is found
 * here rather than on a device in the field.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "base/err.h"
#include "fwsig.h"
#include "key.h"

static const struct kr_fwsig_scheme schemes[] = {
	{ "ecdsa-p256",	"SHA256",	32, "ECDSA" },
	{ "ecdsa-p384",	"SHA384",	48, "ECDSA" },
	{ "ecdsa-p521",	"SHA512",	64, "ECDSA" },
	{ "rsa-2048",	"SHA256",	32, "RSA-PSS" },
	{ "rsa-3072",	"SHA256",	32, "RSA-PSS" },
	{ "rsa-4096",	"SHA384",	48, "RSA-PSS" },
	{ "ed25519",	"SHA512",	64, "Ed25519" },
	{ "ed448",	"SHAKE256",	64, "Ed448" },
};
#define NSCHEMES	(sizeof(schemes) / sizeof(schemes[0]))

const struct kr_fwsig_scheme *
kr_fwsig_scheme_find(const char *alg)
{
	size_t i;

	for (i = 0; alg != NULL && i < NSCHEMES; i++)
		if (strcmp(schemes[i].alg, alg) == 0)
			return &schemes[i];
	return NULL;
}

const struct kr_fwsig_scheme *
kr_fwsig_scheme_of(const EVP_PKEY *key)
{
	const struct kr_key_alg *alg = kr_key_alg_of(key);

	return alg != NULL ? kr_fwsig_scheme_find(kr_key_alg_name(alg)) :
	    NULL;
}

int
kr_fwsig_digest_new(const char *digest, EVP_MD_CTX **ctxp)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	int r = 0;

	*ctxp = NULL;
	if ((md = EVP_MD_fetch(NULL, digest, NULL)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, digest);
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	EVP_MD_free(md);
	*ctxp = ctx;
	return r;
}

int
kr_fwsig_digest_final(EVP_MD_CTX *ctx, uint8_t *out, size_t dlen)
{
	unsigned int n = 0;
	int ok;

	if (EVP_MD_get_flags(EVP_MD_CTX_get0_md(ctx)) & EVP_MD_FLAG_XOF)
		ok = EVP_DigestFinalXOF(ctx, out, dlen) == 1;
	else
		ok = EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == dlen;
	if (!ok)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "finishing a digest");
	return 0;
}

static int
is_eddsa(const struct kr_fwsig_scheme *s)
{
	return strncmp(s->raw, "Ed", 2) == 0;
}

/* A sign or verify context for ECDSA or RSA-PSS over a digest. */
static int
pkey_ctx(EVP_PKEY *key, const struct kr_fwsig_scheme *s, int sign,
    EVP_PKEY_CTX **ctxp)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	int ok;

	*ctxp = NULL;
	if ((md = EVP_MD_fetch(NULL, s->digest, NULL)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL)
		goto fail;
	ok = sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx);
	if (ok != 1 || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
		goto fail;
	if (strcmp(s->raw, "RSA-PSS") == 0 &&
	    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
	    RSA_PSS_SALTLEN_DIGEST) != 1))
		goto fail;
	EVP_MD_free(md);
	*ctxp = ctx;
	return 0;
 fail:
	EVP_MD_free(md);
	EVP_PKEY_CTX_free(ctx);
	return kr_err_libcrypto(KR_ERR_LIBCRYPTO, sign ? "setting up a "
	    "firmware signature" : "setting up a firmware verification");
}

/* EdDSA over the digest as its message: sign into sig, *siglen its room. */
static int
eddsa_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t *siglen)
{
	EVP_MD_CTX *mctx;
	int ok;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestSignInit_ex(mctx, NULL, NULL, NULL, NULL, key,
	    NULL) == 1 && EVP_DigestSign(mctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(mctx);
	return ok;
}

static int
eddsa_verify(EVP_PKEY *key, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *mctx;
	int ok;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL, NULL, key,
	    NULL) == 1 && EVP_DigestVerify(mctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(mctx);
	return ok;
}

int
kr_fwsig_verify(EVP_PKEY *key, const uint8_t *digest, size_t dlen,
    const uint8_t *sig, size_t siglen)
{
	const struct kr_fwsig_scheme *s = kr_fwsig_scheme_of(key);
	EVP_PKEY_CTX *ctx = NULL;
	int ok;

	if (s == NULL || dlen != s->dlen)
		return kr_err_set(KR_ERR_KEY_MISMATCH, "no firmware signature "
		    "scheme for this key and digest");
	if (is_eddsa(s))
		ok = eddsa_verify(key, digest, dlen, sig, siglen);
	else
		ok = pkey_ctx(key, s, 0, &ctx) == 0 &&
		    EVP_PKEY_verify(ctx, sig, siglen, digest, dlen) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return kr_err_libcrypto(KR_ERR_KEY_MISMATCH, "the firmware "
		    "signature does not verify under the key");
	return 0;
}

int
kr_fwsig_sign(EVP_PKEY *key, const uint8_t *digest, size_t dlen,
    uint8_t **sigp, size_t *siglenp)
{
	const struct kr_fwsig_scheme *s = kr_fwsig_scheme_of(key);
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int r = KR_ERR_INTERNAL;

	*sigp = NULL;
	*siglenp = 0;
	if (s == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "signing firmware: no "
		    "scheme for this key's algorithm");
	if (dlen != s->dlen)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "signing firmware: "
		    "a %s digest is %zu bytes, not %zu", s->digest, s->dlen,
		    dlen);
	if ((siglen = (size_t)EVP_PKEY_get_size(key)) == 0 ||
	    (sig = malloc(siglen)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "signing firmware");
		goto out;
	}
	if (is_eddsa(s)) {
		if (!eddsa_sign(key, digest, dlen, sig, &siglen)) {
			r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "signing "
			    "firmware (EdDSA)");
			goto out;
		}
	} else if ((r = pkey_ctx(key, s, 1, &ctx)) != 0)
		goto out;
	else if (EVP_PKEY_sign(ctx, sig, &siglen, digest, dlen) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "signing firmware");
		goto out;
	}
	if ((r = kr_fwsig_verify(key, digest, dlen, sig, siglen)) != 0)
		goto out;
	*sigp = sig;
	*siglenp = siglen;
	sig = NULL;
	r = 0;
 out:
	free(sig);
	EVP_PKEY_CTX_free(ctx);
	return r;
}
