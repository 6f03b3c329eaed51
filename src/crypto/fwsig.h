/*
 * fwsig.h: how keyrite signs firmware images: the digest each key
 * algorithm signs an image's bytes with, and the raw signature (.sig)
 * made over that digest.
 *
 * An image is hashed once, in a bounded buffer, before any card is used;
 * every signature is then made over the digest, never over the image, so
 * that memory stays bounded whatever the image's size and the bytes the
 * witnesses approved are the bytes signed.  Per algorithm (the table in
 * docs/firmware-signing.md says how a device or openssl checks each):
 *
 *   ecdsa-p256, rsa-2048, rsa-3072	SHA-256
 *   ecdsa-p384, rsa-4096		SHA-384
 *   ecdsa-p521				SHA-512
 *   ed25519				SHA-512
 *   ed448				SHAKE256, 64 bytes out
 *
 * The raw signature is ECDSA (DER Ecdsa-Sig-Value) or RSASSA-PSS (MGF1
 * with the same digest, salt as long as the digest) over the digest, as
 * `openssl dgst -<digest> -sign` makes them; for EdDSA, which hashes its
 * whole message twice and so cannot be streamed, it is pure EdDSA over
 * the 64-byte digest (the hash EdDSA uses itself, and the digest RFC 8419
 * prescribes for EdDSA in CMS), checked with `openssl pkeyutl -verify
 * -rawin` on the digest.
 *
 * Nothing here is secret but the private key, which only OpenSSL's
 * signing call touches.
 */
#ifndef KR_FWSIG_H
#define KR_FWSIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KR_FWSIG_DIGEST_MAX	64

struct kr_fwsig_scheme {
	const char	*alg;		/* key.h name */
	const char	*digest;	/* OpenSSL name: "SHA256", "SHAKE256" */
	size_t		 dlen;		/* bytes of the digest */
	const char	*raw;		/* "ECDSA", "RSA-PSS", "Ed25519" ... */
};

/* The scheme for key (public or private), or NULL if keyrite has none. */
const struct kr_fwsig_scheme	*kr_fwsig_scheme_of(const EVP_PKEY *key);

/* The scheme for the algorithm called alg ("ecdsa-p256"), or NULL. */
const struct kr_fwsig_scheme	*kr_fwsig_scheme_find(const char *alg);

/*
 * A digest context for the scheme's digest (or, with digest NULL, the one
 * named: "SHA256").  Free with EVP_MD_CTX_free().  *ctxp set only on
 * success.  Returns 0 or KR_ERR_LIBCRYPTO.
 */
int	kr_fwsig_digest_new(const char *digest, EVP_MD_CTX **ctxp);

/*
 * Finishes ctx into out (dlen bytes: the digest's size, 64 for
 * SHAKE256).  Returns 0 or KR_ERR_LIBCRYPTO.
 */
int	kr_fwsig_digest_final(EVP_MD_CTX *ctx, uint8_t *out, size_t dlen);

/*
 * Signs a digest (dlen bytes, made with the scheme of key) with key as
 * above, then checks the signature with the key's public half before
 * returning it.  *sigp malloc()ed, set only on success.  Returns 0,
 * KR_ERR_KEY_ALGORITHM (no scheme), KR_ERR_INVALID_ARGUMENT (wrong
 * length) or KR_ERR_LIBCRYPTO.
 */
int	kr_fwsig_sign(EVP_PKEY *key, const uint8_t *digest, size_t dlen,
	    uint8_t **sigp, size_t *siglenp);

/*
 * Checks a kr_fwsig_sign() signature over digest with key (public is
 * enough).  Returns 0 or KR_ERR_KEY_MISMATCH.
 */
int	kr_fwsig_verify(EVP_PKEY *key, const uint8_t *digest, size_t dlen,
	    const uint8_t *sig, size_t siglen);

#endif /* KR_FWSIG_H */
