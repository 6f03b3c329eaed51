/*
 * shamir.h: Shamir secret sharing of a 32-byte secret over GF(2^8).
 *
 * The field is GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1
 * (0x11b), as in FIPS-197 and draft-mcgrew-tss-03.  Each byte of the secret
 * is the constant term of its own random polynomial of degree m - 1; share
 * x holds the 32 values of those polynomials at x.  Share indexes run from
 * 1 to n (n <= 255); any m shares give the secret back, m - 1 give nothing.
 *
 * Everything that depends on a secret (the secret, the random coefficients,
 * the share values) is processed in constant time: no branch and no memory
 * address depends on it.  Share indexes, m and n are public.
 */
#ifndef KR_SHAMIR_H
#define KR_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#define KR_SHAMIR_SECRET_BYTES	32
#define KR_SHAMIR_MAX_SHARES	255
#define KR_SHAMIR_VERIFY_MAX	1000	/* subsets verify_split recombines */

/* One share.  y is secret: keep shares in kr_secmem_alloc() memory. */
struct kr_shamir_share {
	uint8_t	x;				/* index, 1..n; public */
	uint8_t	y[KR_SHAMIR_SECRET_BYTES];	/* value; secret */
};

/*
 * Product of a and b in GF(2^8) mod 0x11b, in constant time (no table, no
 * branch on either operand).  For known-answer tests and self-tests.
 */
uint8_t	kr_shamir_gf_mul(uint8_t a, uint8_t b);

/*
 * Splits secret into n shares, any m of which recombine it
 * (2 <= m <= n <= 255).  shares must have room for n entries; share i gets
 * x = i + 1.  The m - 1 random coefficients come from RAND_priv_bytes()
 * (or the generator set with kr_shamir_set_rng()) and are wiped before
 * returning.  shares is written only on success.
 * Returns 0, KR_ERR_SHAMIR_PARAMS, KR_ERR_SHAMIR_RNG or
 * KR_ERR_INVALID_ARGUMENT (a NULL pointer).
 */
int	kr_shamir_split(const uint8_t secret[KR_SHAMIR_SECRET_BYTES],
	    uint8_t m, uint8_t n, struct kr_shamir_share *shares);

/*
 * Recombines the secret from count shares of an m-of-n split.  Every given
 * share's index is checked (1 <= x <= n, all distinct) and the error detail
 * names the offending share and index; then the first m shares are used.
 * n may be 255 when the caller does not know it.  secret is written only on
 * success.  A wrong (but well-formed) share gives a wrong secret, silently:
 * callers check the result against a commitment or a GCM tag.
 * Returns 0, KR_ERR_SHAMIR_PARAMS, KR_ERR_SHAMIR_TOO_FEW (the detail says
 * how many more are needed), KR_ERR_SHAMIR_INDEX, KR_ERR_SHAMIR_DUPLICATE
 * or KR_ERR_INVALID_ARGUMENT.
 */
int	kr_shamir_combine(const struct kr_shamir_share *shares, size_t count,
	    uint8_t m, uint8_t n, uint8_t secret[KR_SHAMIR_SECRET_BYTES]);

/*
 * Checks a fresh split: recombines from every m-subset of the n shares when
 * there are at most KR_SHAMIR_VERIFY_MAX of them, otherwise from
 * KR_SHAMIR_VERIFY_MAX random m-subsets that together include every share,
 * and compares each result with secret in constant time.  shares holds the
 * n shares (any order, indexes 1..n).  Nothing secret is kept.
 * Returns 0, KR_ERR_SHAMIR_VERIFY (the detail names the subset),
 * KR_ERR_SHAMIR_RNG (choosing the random subsets), or the errors of
 * kr_shamir_combine() for malformed input.
 */
int	kr_shamir_verify_split(const uint8_t secret[KR_SHAMIR_SECRET_BYTES],
	    const struct kr_shamir_share *shares, uint8_t m, uint8_t n);

/*
 * Number of m-subsets kr_shamir_verify_split() recombines for an m-of-n
 * split: min(C(n, m), KR_SHAMIR_VERIFY_MAX), or 0 for invalid m, n.  For
 * the transcript.
 */
size_t	kr_shamir_verify_count(uint8_t m, uint8_t n);

/*
 * For tests only: replaces the generator of the polynomial coefficients.
 * rng fills len bytes and returns 0, or non-zero on failure.  NULL restores
 * RAND_priv_bytes().  Not thread-safe; never used by the keyrite command.
 */
void	kr_shamir_set_rng(int (*rng)(void *buf, size_t len));

#endif /* KR_SHAMIR_H */
