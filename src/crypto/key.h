/*
 * key.h: the key algorithms keyrite manages, as a small operations table.
 *
 * Algorithms are named as in ceremony scripts and escrow packages:
 * "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048" (secure-boot keys
 * only, by policy), "rsa-3072", "rsa-4096", "ed25519", "ed448".  Private
 * keys are OpenSSL EVP_PKEYs whose numbers live in OpenSSL's secure heap
 * once kr_harden_process() has run; their PKCS#8 encoding only ever
 * exists in kr_secmem memory.
 */
#ifndef KR_KEY_H
#define KR_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KR_KEY_ID_BYTES		32	/* SHA-256 of the DER SPKI */
#define KR_KEY_ID_SHORT_BYTES	16	/* the prefix shares and labels use */

struct kr_key_alg;

/* Returns the algorithm called name, or NULL. */
const struct kr_key_alg	*kr_key_alg_find(const char *name);

/* The i-th supported algorithm (0-based), or NULL past the end. */
const struct kr_key_alg	*kr_key_alg_at(size_t i);

/* Canonical name ("ecdsa-p384"). */
const char		*kr_key_alg_name(const struct kr_key_alg *alg);

/* Digest used for signatures ("SHA384"), or NULL for Ed25519/Ed448. */
const char		*kr_key_alg_digest(const struct kr_key_alg *alg);

/*
 * Returns the algorithm of key (public or private), or NULL if keyrite
 * does not manage keys of its type and size.
 */
const struct kr_key_alg	*kr_key_alg_of(const EVP_PKEY *key);

/*
 * Generates a new private key.  *keyp is set only on success.  Returns 0,
 * KR_ERR_KEY_ALGORITHM if alg is NULL (kr_key_alg_find() of an unknown
 * name), or KR_ERR_KEY_GENERATE with OpenSSL's errors in the detail.
 */
int	kr_key_generate(const struct kr_key_alg *alg, EVP_PKEY **keyp);

/*
 * Encodes key as PKCS#8 PrivateKeyInfo DER into kr_secmem memory.  Free
 * *derp with kr_secmem_free(*derp, *lenp).  Outputs set only on success.
 * Fails for a public key.  OpenSSL's encoder leaves copies of its own in
 * freed heap memory; key.c says which.
 */
int	kr_key_to_pkcs8(const EVP_PKEY *key, uint8_t **derp, size_t *lenp);

/*
 * Decodes PKCS#8 DER (from secret memory) into a private key.  Returns 0,
 * KR_ERR_KEY_DECODE (malformed, or bytes after the structure), or
 * KR_ERR_KEY_ALGORITHM (an algorithm, size or curve keyrite does not
 * manage).  *keyp is set only on success.
 */
int	kr_key_from_pkcs8(const uint8_t *der, size_t len, EVP_PKEY **keyp);

/*
 * Encodes key's SubjectPublicKeyInfo as DER, malloc()ed (public, not
 * secret).  Free with free().
 */
int	kr_key_to_spki(const EVP_PKEY *key, uint8_t **derp, size_t *lenp);

/* Decodes DER SPKI into a public key. */
int	kr_key_from_spki(const uint8_t *der, size_t len, EVP_PKEY **keyp);

/* id = SHA-256(DER SPKI of key). */
int	kr_key_id(const EVP_PKEY *key, uint8_t id[KR_KEY_ID_BYTES]);

/*
 * Signs msg with the algorithm's scheme: ECDSA with its digest (DER
 * signature), RSA-PSS with SHA-256 and a salt as long as the digest,
 * Ed25519/Ed448 pure.  *sigp is malloc()ed, set only on success.
 * KR_ERR_KEY_ALGORITHM if keyrite does not manage key's algorithm.
 */
int	kr_key_sign(const EVP_PKEY *key, const uint8_t *msg, size_t msglen,
	    uint8_t **sigp, size_t *siglenp);

/*
 * Verifies a kr_key_sign() signature; 0 if valid, KR_ERR_KEY_MISMATCH if
 * not (including a malformed signature).
 */
int	kr_key_verify(const EVP_PKEY *key, const uint8_t *msg, size_t msglen,
	    const uint8_t *sig, size_t siglen);

/*
 * Proves that private key priv belongs to the public key spki: the SPKI of
 * priv equals spki byte for byte, and a signature by priv over a
 * domain-separated random challenge verifies under the public key decoded
 * from spki.  Returns 0 or KR_ERR_KEY_MISMATCH (or a decoding error);
 * the mismatch's detail begins "public-key check failed" or "signature
 * check failed" (the public halves match but the private half does not).
 */
int	kr_key_prove_match(const EVP_PKEY *priv, const uint8_t *spki,
	    size_t spkilen);

#endif /* KR_KEY_H */
