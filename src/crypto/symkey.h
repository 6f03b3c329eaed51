/*
 * symkey.h: raw symmetric keys brought under escrow (escrow-import).
 *
 * keyrite generates only asymmetric keys, but an organisation may have a
 * data-at-rest key that is a raw AES-256 or HMAC key.  Such a key has no
 * public half, so an escrow package of one (docs/formats.md, "Symmetric
 * keys") carries instead its key check value, a one-way function of the key
 * that witnesses compare with the source's, and the public key of a seal
 * key: an ECDSA P-384 key made at import and sealed in the same package,
 * which seals the transcripts of the ceremonies that open it, as an
 * escrowed signing key seals its own.
 *
 * The key bytes are secret: they live in kr_secmem memory only, and the
 * hex decoder here is constant time in their values.
 */
#ifndef KR_SYMKEY_H
#define KR_SYMKEY_H

#include <stddef.h>
#include <stdint.h>

#define KR_SYMKEY_MAX_BYTES	64
#define KR_SYMKEY_CHECK_BYTES	32
#define KR_SYMKEY_CHECK_MSG	"keyrite key check v1"
/* The algorithm of a symmetric package's seal key (key.h name). */
#define KR_SYMKEY_SEAL_ALG	"ecdsa-p384"

struct kr_symkey_alg;

/* "aes-256" (32 bytes) or "hmac-sha256" (32 to 64 bytes); else NULL. */
const struct kr_symkey_alg	*kr_symkey_alg_find(const char *name);

/* The i-th symmetric algorithm (0-based), or NULL past the end. */
const struct kr_symkey_alg	*kr_symkey_alg_at(size_t i);

/* Canonical name (static). */
const char	*kr_symkey_alg_name(const struct kr_symkey_alg *alg);

/* The key lengths in bytes the algorithm accepts, inclusive. */
size_t		 kr_symkey_alg_min(const struct kr_symkey_alg *alg);
size_t		 kr_symkey_alg_max(const struct kr_symkey_alg *alg);

/*
 * The key check value: HMAC-SHA256 keyed with the key over the ASCII bytes
 * KR_SYMKEY_CHECK_MSG.  Public: it identifies the key without revealing
 * it, and can be computed by hand (docs/formats.md).
 */
int	kr_symkey_check(const uint8_t *key, size_t len,
	    uint8_t out[KR_SYMKEY_CHECK_BYTES]);

/*
 * Decodes hex text (either case) into out, in time that depends only on
 * inlen, not on the digits: for secret keys.  Surrounding white space
 * (spaces, tabs, one final newline) is skipped.  Returns 0 with *lenp the
 * bytes written, or KR_ERR_FORMAT (odd length, a non-hex character, more
 * than outlen bytes) with no detail set and out wiped.
 */
int	kr_symkey_hex_decode(const char *in, size_t inlen, uint8_t *out,
	    size_t outlen, size_t *lenp);

#endif /* KR_SYMKEY_H */
