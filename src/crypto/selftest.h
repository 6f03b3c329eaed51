/*
 * selftest.h: power-on self-tests, in the spirit of FIPS 140-3.
 *
 * Before any ceremony the engine proves that the cryptography it is about to
 * rely on works on this machine, with this OpenSSL:
 *
 *   - known-answer tests (KATs): SHA-256, SHA-384, HMAC-SHA-256 and
 *     AES-256-GCM encryption and decryption, against published vectors
 *     (also kept in tests/vectors/selftest-vectors.txt with their sources);
 *   - a GCM decryption with a tampered tag, which must be refused;
 *   - pairwise-consistency tests: freshly generated ECDSA P-256 and P-384,
 *     Ed25519 and RSA-PSS keys sign, verify, and refuse a changed message;
 *   - random generator health: RAND_status(), and a repetition test (no
 *     two consecutive blocks equal, no all-zero block) on fresh output of
 *     both OpenSSL's DRBG and getrandom(2);
 *   - OpenSSL's secure heap is running and hands out secure memory;
 *   - the process is hardened (non-dumpable, RLIMIT_CORE 0);
 *   - the OpenSSL version (running major version equals the built one).
 *
 * Nothing here prints; results come back as rows for a frontend to show.
 */
#ifndef KR_SELFTEST_H
#define KR_SELFTEST_H

#include <stddef.h>
#include <stdint.h>

/* Enough rows for everything kr_selftest_run() does. */
#define KR_SELFTEST_MAX_RESULTS	32

/* Repetition test parameters for each random source. */
#define KR_SELFTEST_RNG_BLOCKS	16
#define KR_SELFTEST_RNG_BLOCK_BYTES 32

enum kr_kat_kind {
	KR_KAT_SHA256,		/* expected = SHA-256(input) */
	KR_KAT_SHA384,		/* expected = SHA-384(input) */
	KR_KAT_HMAC_SHA256,	/* expected = HMAC-SHA-256(key, input) */
	KR_KAT_AES256GCM_ENC,	/* expected||tag = Enc(key, iv, aad, input) */
	KR_KAT_AES256GCM_DEC	/* expected = Dec(key, iv, aad, input, tag) */
};

/*
 * One known-answer test.  Fields a kind does not use are NULL/0.  For
 * AES256GCM_ENC, input is the plaintext, expected the ciphertext and tag the
 * expected tag; for AES256GCM_DEC, input is the ciphertext, tag the tag to
 * verify and expected the plaintext.  The bytes are public test vectors,
 * never secrets.
 */
struct kr_kat {
	const char		*name;
	const char		*source;	/* where it is published */
	enum kr_kat_kind	 kind;
	const uint8_t		*key;
	size_t			 keylen;
	const uint8_t		*iv;
	size_t			 ivlen;
	const uint8_t		*aad;
	size_t			 aadlen;
	const uint8_t		*input;
	size_t			 inputlen;
	const uint8_t		*expected;
	size_t			 expectedlen;
	const uint8_t		*tag;
	size_t			 taglen;
};

/* One row of kr_selftest_run()'s results. */
struct kr_selftest_result {
	const char	*name;		/* static string */
	int		 ok;		/* 1 passed, 0 failed */
	char		 detail[160];	/* what was checked, or why it failed */
};

/*
 * Returns the built-in KAT table (static, read-only) and stores its length
 * in *n.
 */
const struct kr_kat *kr_selftest_kats(size_t *n);

/*
 * Runs one known-answer test.  Returns 0 if the output matches the expected
 * bytes exactly (and, for GCM decryption, the tag verified);
 * KR_ERR_SELFTEST_FAILED if not, with a one-line reason in why (when why is
 * non-NULL and whylen > 0) and in kr_err_detail(); KR_ERR_INVALID_ARGUMENT
 * for an unknown kind or lengths the kind cannot take.  OpenSSL's error
 * queue is empty afterwards.
 */
int	kr_selftest_kat(const struct kr_kat *k, char *why, size_t whylen);

/*
 * The repetition test on nblocks blocks of blocklen bytes in buf: fails if
 * two consecutive blocks are equal or any block is all zeros.  Returns 0 or
 * KR_ERR_SELFTEST_RNG, with the reason in why as for kr_selftest_kat().
 * Exposed so that tests can feed it bad data.
 */
int	kr_selftest_rng_blocks(const uint8_t *buf, size_t nblocks,
	    size_t blocklen, char *why, size_t whylen);

/*
 * Runs every self-test and writes one row per test into res (room for max
 * rows; KR_SELFTEST_MAX_RESULTS is enough), storing the number of rows in
 * *n.  Keys generated for the pairwise tests are freed before returning.
 * The hardening row passes only after kr_harden_process().  Returns 0 if
 * every row passed; KR_ERR_SELFTEST_FAILED if any failed (kr_err_detail()
 * names how many and the first); KR_ERR_INVALID_ARGUMENT if max was too
 * small (the rows that fit are still filled in).
 */
int	kr_selftest_run(struct kr_selftest_result *res, size_t max, size_t *n);

/*
 * The fixed, published RSA test key (PEM) the RSA-<bits>-PSS row signs
 * with, or NULL; test_selftest.c checks it against tests/vectors/.
 */
const char	*kr_selftest_fixed_key(unsigned int bits);

#endif /* KR_SELFTEST_H */
